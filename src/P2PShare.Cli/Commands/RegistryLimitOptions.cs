using System.CommandLine;
using System.Globalization;
using P2PShare.Directory;

namespace P2PShare.Cli.Commands;

/// <summary>
/// The directory's quotas and search limits as <c>p2pshare server</c> options (defaults from
/// <see cref="RegistrationQuotas"/> and <see cref="SearchLimits"/>), and the objects made from them.
/// </summary>
internal sealed class RegistryLimitOptions
{
    private readonly Option<int> _maxFilesPerPeer;
    private readonly Option<long> _maxNameBytesPerPeer;
    private readonly Option<int> _maxFilesPerAddress;
    private readonly Option<long> _maxNameBytesPerAddress;
    private readonly Option<long> _maxMemoryPerAddress;
    private readonly Option<int> _maxFiles;
    private readonly Option<long> _maxNameBytes;
    private readonly Option<long> _maxMemory;
    private readonly Option<int> _maxPartialPerPeer;
    private readonly Option<int> _maxQueryBytes;
    private readonly Option<int> _maxQueryWords;
    private readonly Option<int> _maxSearchWork;
    private readonly Option<long> _maxSearchCacheBytes;

    public RegistryLimitOptions()
    {
        var quotas = new RegistrationQuotas();
        var search = new SearchLimits();
        _maxFilesPerPeer = CommonOptions.PositiveCount("--max-files-per-peer", "Most files one peer may register; more get ERROR 4", quotas.MaxFilesPerPeer);
        _maxNameBytesPerPeer = Bytes("--max-name-bytes-per-peer", "Most bytes of file names one peer may register", quotas.MaxNameBytesPerPeer);
        _maxFilesPerAddress = CommonOptions.PositiveCount("--max-files-per-address", "Most files the peers of one address (IPv6: one /64) may register", quotas.MaxFilesPerAddress);
        _maxNameBytesPerAddress = Bytes("--max-name-bytes-per-address", "Most bytes of file names the peers of one address may register", quotas.MaxNameBytesPerAddress);
        _maxMemoryPerAddress = Bytes("--max-memory-per-address", "Most index memory the files of one address may take", quotas.MaxMemoryPerAddress);
        _maxFiles = CommonOptions.PositiveCount("--max-files", "Most files registered in all", quotas.MaxFiles);
        _maxNameBytes = Bytes("--max-name-bytes", "Most bytes of file names registered in all", quotas.MaxNameBytes);
        _maxMemory = Bytes("--max-memory", "Memory budget of the search index; past it REGISTER and ADD get ERROR 4 while searches go on", quotas.MaxMemory);
        _maxPartialPerPeer = CommonOptions.PositiveCount("--max-partial-per-peer", "Most contents one peer may announce with HOLD as held in part (downloads in progress); more get ERROR 4", quotas.MaxPartialPerPeer);
        _maxQueryBytes = CommonOptions.PositiveCount("--max-query-bytes", "Longest SEARCH query in UTF-8 bytes; longer ones get ERROR 1", search.MaxQueryBytes);
        _maxQueryWords = CommonOptions.PositiveCount("--max-query-words", "Most different words in a SEARCH query; more get ERROR 1", search.MaxQueryWords);
        _maxSearchWork = CommonOptions.PositiveCount("--max-search-work", "Most entries one SEARCH may look at; past it the answer is what was found so far", search.MaxWork);
        _maxSearchCacheBytes = Bytes("--max-search-cache-bytes", "Most memory the search cache may take", search.MaxCacheBytes, allowZero: true);
        _maxQueryBytes.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() > ushort.MaxValue)
            {
                result.AddError("--max-query-bytes can be at most 65535 (a query is a protocol string)");
            }
        });
    }

    public IEnumerable<Option> All =>
    [
        _maxFilesPerPeer, _maxNameBytesPerPeer, _maxFilesPerAddress, _maxNameBytesPerAddress, _maxMemoryPerAddress,
        _maxFiles, _maxNameBytes, _maxMemory, _maxPartialPerPeer, _maxQueryBytes, _maxQueryWords, _maxSearchWork, _maxSearchCacheBytes,
    ];

    public RegistrationQuotas QuotasFrom(ParseResult parse) => new()
    {
        MaxFilesPerPeer = parse.GetValue(_maxFilesPerPeer),
        MaxNameBytesPerPeer = parse.GetValue(_maxNameBytesPerPeer),
        MaxFilesPerAddress = parse.GetValue(_maxFilesPerAddress),
        MaxNameBytesPerAddress = parse.GetValue(_maxNameBytesPerAddress),
        MaxMemoryPerAddress = parse.GetValue(_maxMemoryPerAddress),
        MaxFiles = parse.GetValue(_maxFiles),
        MaxNameBytes = parse.GetValue(_maxNameBytes),
        MaxMemory = parse.GetValue(_maxMemory),
        MaxPartialPerPeer = parse.GetValue(_maxPartialPerPeer),
    };

    public SearchLimits SearchLimitsFrom(ParseResult parse) => new()
    {
        MaxQueryBytes = parse.GetValue(_maxQueryBytes),
        MaxQueryWords = parse.GetValue(_maxQueryWords),
        MaxWork = parse.GetValue(_maxSearchWork),
        MaxCacheBytes = parse.GetValue(_maxSearchCacheBytes),
    };

    /// <summary>An option of a number of bytes: plain, or with a binary suffix (<c>64K</c>, <c>512M</c>, <c>1G</c>, <c>1GiB</c>).</summary>
    private static Option<long> Bytes(string name, string description, long defaultValue, bool allowZero = false)
    {
        return new Option<long>(name)
        {
            Description = $"{description} (bytes; K, M, G suffixes)",
            HelpName = "BYTES",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result =>
            {
                var text = result.Tokens[0].Value;
                if (TryParseBytes(text, out var bytes) && (bytes > 0 || (allowZero && bytes == 0)))
                {
                    return bytes;
                }

                result.AddError($"{name} must be a {(allowZero ? "non-negative" : "positive")} number of bytes (e.g. 1073741824, 512M, 1G), not '{text}'");
                return 0;
            },
        };
    }

    private static bool TryParseBytes(string text, out long bytes)
    {
        bytes = 0;
        var span = text.AsSpan().Trim();
        if (span.EndsWith("iB", StringComparison.OrdinalIgnoreCase))
        {
            span = span[..^2];
        }

        var shift = 0;
        if (span.Length > 0 && char.ToUpperInvariant(span[^1]) is 'K' or 'M' or 'G' or 'T')
        {
            shift = char.ToUpperInvariant(span[^1]) switch { 'K' => 10, 'M' => 20, 'G' => 30, _ => 40 };
            span = span[..^1];
        }

        if (!long.TryParse(span, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > (long.MaxValue >> shift))
        {
            return false;
        }

        bytes = value << shift;
        return true;
    }
}
