using System.Text;

namespace P2PShare.Protocol;

/// <summary>
/// SEARCH (type 2 on a directory connection) read in place: <c>string query</c>. Checked like
/// <see cref="MessageCodec.Decode"/> checks it; allocates nothing when valid; lives as long as the payload.
/// </summary>
public readonly ref struct SearchView
{
    private SearchView(ReadOnlySpan<byte> queryUtf8) => QueryUtf8 = queryUtf8;

    /// <summary>The query as UTF-8, checked to be valid UTF-8 (it is any text, not a file name).</summary>
    public ReadOnlySpan<byte> QueryUtf8 { get; }

    public static SearchView Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "SEARCH");
        var query = reader.ReadUtf8("query");
        reader.EnsureEnd();
        return new SearchView(query);
    }

    /// <summary>The query as a string (allocates).</summary>
    public string GetQuery() => Encoding.UTF8.GetString(QueryUtf8);

    public SearchMessage ToMessage() => new(GetQuery());
}
