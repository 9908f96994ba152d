namespace P2PShare.Protocol;

/// <summary>The <c>u16 code</c> of an ERROR message (PROTOCOL.md, "ERROR").</summary>
public enum ErrorCode : ushort
{
    BadRequest = 1,
    NotFound = 2,
    TooLarge = 3,
    Busy = 4,
    Unsupported = 5,
    Internal = 6,
}
