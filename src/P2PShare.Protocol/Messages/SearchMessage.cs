namespace P2PShare.Protocol;

/// <summary>Type 2 on a directory connection, peer → server: <c>string query</c>.</summary>
public sealed record SearchMessage(string Query) : Message
{
    public override MessageType Type => MessageType.SearchOrGet;

    public override string Name => "SEARCH";
}
