using System.Buffers.Binary;

namespace P2PShare.LoadTest.Directory;

/// <summary>
/// Counts the file entries of a RESULTS payload (PROTOCOL.md 5.3) by walking its lengths, without
/// decoding names or addresses: the load client must spend its CPU time on sending requests.
/// </summary>
internal static class ResultsScanner
{
    /// <summary>The number of file entries, or -1 when the payload is not a well-formed RESULTS.</summary>
    public static int CountEntries(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 4)
        {
            return -1;
        }

        var peers = BinaryPrimitives.ReadUInt32BigEndian(payload);
        var position = 4;
        var entries = 0;
        for (uint peer = 0; peer < peers; peer++)
        {
            if (position >= payload.Length)
            {
                return -1;
            }

            var addressLength = payload[position] switch
            {
                4 => 4,
                6 => 16,
                _ => -1,
            };
            if (addressLength < 0 || position + 1 + addressLength + 6 > payload.Length)
            {
                return -1;
            }

            position += 1 + addressLength + 2;
            var files = BinaryPrimitives.ReadUInt32BigEndian(payload[position..]);
            position += 4;
            for (uint file = 0; file < files; file++)
            {
                if (position + 2 > payload.Length)
                {
                    return -1;
                }

                position += 2 + BinaryPrimitives.ReadUInt16BigEndian(payload[position..]) + 8 + 32;
                if (position > payload.Length)
                {
                    return -1;
                }

                entries++;
            }
        }

        return position == payload.Length ? entries : -1;
    }
}
