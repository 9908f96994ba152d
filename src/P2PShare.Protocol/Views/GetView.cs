using System.Text;

namespace P2PShare.Protocol;

/// <summary>
/// GET (type 2 on a peer connection) read in place: <c>string name</c>, then optionally
/// <c>u64 offset, u64 length, 32-byte id</c>. Checked like <see cref="MessageCodec.Decode"/> checks
/// it (the name is a valid file name); allocates nothing when valid; lives as long as the payload.
/// </summary>
public readonly ref struct GetView
{
    private GetView(ReadOnlySpan<byte> fileNameUtf8, ulong offset, ulong length, ContentId id)
    {
        FileNameUtf8 = fileNameUtf8;
        Offset = offset;
        Length = length;
        Id = id;
    }

    /// <summary>The file name as UTF-8, already checked to be a valid file name.</summary>
    public ReadOnlySpan<byte> FileNameUtf8 { get; }

    public ulong Offset { get; }

    /// <summary>Number of bytes asked for; 0 means "to the end of the file".</summary>
    public ulong Length { get; }

    /// <summary>The content id the file must have; <see cref="ContentId.Zero"/> means any.</summary>
    public ContentId Id { get; }

    /// <summary>Same meaning as <see cref="GetMessage.HasRange"/>: a field is not at its default.</summary>
    public bool HasRange => Offset != 0 || Length != 0 || !Id.IsZero;

    public static GetView Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "GET");
        var name = reader.ReadFileNameUtf8();
        if (reader.Remaining == 0)
        {
            return new GetView(name, 0, 0, default);
        }

        var offset = reader.ReadUInt64();
        var length = reader.ReadUInt64();
        var id = reader.ReadId();
        reader.EnsureEnd();
        return new GetView(name, offset, length, id);
    }

    /// <summary>The file name as a string (allocates).</summary>
    public string GetFileName() => Encoding.UTF8.GetString(FileNameUtf8);

    public GetMessage ToMessage() => new(GetFileName(), Offset, Length, Id);
}
