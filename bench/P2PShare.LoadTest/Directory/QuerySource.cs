using P2PShare.LoadTest.Catalog;
using P2PShare.Protocol;

namespace P2PShare.LoadTest.Directory;

/// <summary>The SEARCH frames one search connection sends, one after another.</summary>
internal abstract class QuerySource
{
    /// <summary>The next SEARCH frame, header included; valid until the next call.</summary>
    public abstract ReadOnlyMemory<byte> Next();

    /// <summary>
    /// <c>--queries repeated</c>: a fixed pool of queries, encoded before the run and asked in
    /// turn, over and over, from <paramref name="first"/> on (so connections start at different
    /// places of the pool). The server's search cache answers most of them.
    /// </summary>
    public static QuerySource Repeated(byte[][] frames, int first) => new RepeatedQueries(frames, first);

    /// <summary>
    /// <c>--queries diverse</c>: a fresh query from the catalogue's query mix for every request,
    /// from a generator seeded per connection, so runs send the same sequences and connections
    /// different ones.
    /// </summary>
    public static QuerySource Diverse(ICatalogGenerator catalog, int seed) => new DiverseQueries(catalog, new Random(seed));

    private sealed class RepeatedQueries(byte[][] frames, int first) : QuerySource
    {
        private int _next = first;

        public override ReadOnlyMemory<byte> Next()
        {
            var frame = frames[_next];
            _next = _next + 1 == frames.Length ? 0 : _next + 1;
            return frame;
        }
    }

    private sealed class DiverseQueries(ICatalogGenerator catalog, Random random) : QuerySource
    {
        private byte[] _frame = new byte[256];

        public override ReadOnlyMemory<byte> Next()
        {
            var message = new SearchMessage(catalog.NextQuery(random));
            var length = MessageCodec.GetFrameLength(message);
            if (length > _frame.Length)
            {
                _frame = new byte[Math.Max(length, _frame.Length * 2)];
            }

            return _frame.AsMemory(0, MessageCodec.WriteFrame(message, _frame));
        }
    }
}
