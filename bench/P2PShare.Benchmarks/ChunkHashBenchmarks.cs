using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using P2PShare.Protocol;

namespace P2PShare.Benchmarks;

/// <summary>
/// Verifying 16 chunks of 1 MiB, as a download does: one by one with <see cref="SHA256"/>
/// (OpenSSL, with the SHA extensions where the CPU has them) against one pass of
/// <see cref="MultiBufferSha256"/> (the 16 side by side in AVX-512 lanes), and a pass with only
/// <see cref="MultiBufferSha256.MinMessages"/> chunks, which costs what a full one does.
/// </summary>
[MemoryDiagnoser]
public class ChunkHashBenchmarks
{
    private readonly ReadOnlyMemory<byte>[] _chunks = new ReadOnlyMemory<byte>[MultiBufferSha256.Lanes];
    private readonly byte[] _digests = new byte[MultiBufferSha256.Lanes * SHA256.HashSizeInBytes];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(5);
        for (var i = 0; i < _chunks.Length; i++)
        {
            var chunk = GC.AllocateUninitializedArray<byte>(Limits.ChunkSize, pinned: true);
            random.NextBytes(chunk);
            _chunks[i] = chunk;
        }
    }

    [Benchmark(Baseline = true, Description = "16 chunks, SHA256.HashData one by one")]
    public void OneByOne()
    {
        for (var i = 0; i < _chunks.Length; i++)
        {
            SHA256.HashData(_chunks[i].Span, _digests.AsSpan(i * SHA256.HashSizeInBytes, SHA256.HashSizeInBytes));
        }
    }

    [Benchmark(Description = "16 chunks, MultiBufferSha256 (one pass)")]
    public void SideBySide() => MultiBufferSha256.HashData(_chunks, _digests);

    [Benchmark(Description = "10 chunks (MinMessages), MultiBufferSha256 (one pass)")]
    public void SideBySideFewest() => MultiBufferSha256.HashData(_chunks.AsSpan(0, MultiBufferSha256.MinMessages), _digests);
}
