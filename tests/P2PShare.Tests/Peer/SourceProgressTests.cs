using P2PShare.Peer;

namespace P2PShare.Tests.Peer;

public sealed class SourceProgressTests
{
    [Fact]
    public void A_source_taken_on_again_after_a_drop_shows_the_drop_until_it_delivers_a_chunk()
    {
        var source = new SourceProgress("127.0.0.1:3300");
        source.Start(partial: false);
        source.Drop("sent nothing for 10 s");
        Assert.Equal("sent nothing for 10 s", source.DroppedReason);

        // Taken on again: while it runs it is not dropped; ended without a chunk, the drop stands.
        source.Start(partial: false);
        Assert.Null(source.DroppedReason);
        source.Stop();
        Assert.Equal("sent nothing for 10 s", source.DroppedReason);

        // Taken on again and delivering: it ends done.
        source.Start(partial: false);
        source.AddChunk(1024 * 1024);
        source.Stop();
        Assert.Null(source.DroppedReason);
    }
}
