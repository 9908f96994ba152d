namespace P2PShare.Tests;

/// <summary>
/// Tests that assert how long the server waits (PING intervals, timeouts) run alone, after the
/// parallel ones: in the same process, CPU-heavy tests (property tests, churn) keep the thread
/// pool busy, and a timer or a read that runs late looked like a server that pinged or dropped
/// too early.
/// </summary>
[CollectionDefinition(nameof(TimingSensitiveCollection), DisableParallelization = true)]
public sealed class TimingSensitiveCollection;
