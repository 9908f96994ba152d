using P2PShare.Peer;

namespace P2PShare.Tests.Peer;

/// <summary>How a download's GETs in flight are shared among its sources.</summary>
public sealed class DownloadRequestsInFlightTests
{
    [Theory]
    [InlineData(4, 1, 4)]
    [InlineData(4, 2, 2)]
    [InlineData(4, 3, 1)]
    [InlineData(4, 4, 1)]
    [InlineData(4, 8, 1)]
    [InlineData(1, 1, 1)]
    [InlineData(16, 4, 4)]
    [InlineData(4, 0, 4)]
    public void A_single_source_gets_them_all_and_every_source_gets_at_least_one(int inFlight, int sources, int perSource) =>
        Assert.Equal(perSource, SwarmDownload.RequestsPerSourceOf(inFlight, sources));
}
