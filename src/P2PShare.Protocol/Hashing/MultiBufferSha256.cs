using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;

namespace P2PShare.Protocol;

/// <summary>
/// SHA-256 of up to <see cref="Lanes"/> messages of one length at once: message <c>i</c> runs in
/// 32-bit lane <c>i</c> of AVX-512 registers, so one instruction does the same step of all of
/// them. A download verifies many 1 MiB chunks that are independent of each other, and SHA-256
/// of one message cannot go faster than its chain of dependent rounds: with the SHA extensions
/// (what OpenSSL and so <see cref="SHA256"/> use) that is 1.4 GB/s on one core of the reference
/// machine, side by side 16 messages make 2.7 GB/s.
/// </summary>
/// <remarks>
/// A pass costs the same however many lanes carry a message, so it pays from
/// <see cref="MinMessages"/> messages on; with fewer, or without AVX-512 (or where the runtime
/// judges 512-bit vectors slow, <see cref="Vector512.IsHardwareAccelerated"/>), messages are
/// hashed one by one with <see cref="SHA256"/>. The digests are the same either way.
/// </remarks>
public static class MultiBufferSha256
{
    /// <summary>Messages hashed side by side in one pass.</summary>
    public const int Lanes = 16;

    /// <summary>
    /// The fewest messages for which a pass beats hashing them one by one: a pass of 16 lanes
    /// takes as long as about 9 messages do with <see cref="SHA256"/> (BENCHMARKS.md).
    /// </summary>
    public const int MinMessages = 10;

    private const int BlockSize = 64;

    // The SHA-256 round constants and initial state (FIPS 180-4, 4.2.2 and 5.3.3).
    private static ReadOnlySpan<uint> RoundConstants =>
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];

    private static ReadOnlySpan<uint> InitialState =>
        [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

    /// <summary>Whether this machine hashes in passes of <see cref="Lanes"/> (otherwise one by one).</summary>
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Avx512BW.IsSupported;

    /// <summary>
    /// Hashes each of <paramref name="messages"/> (at most <see cref="Lanes"/>, all of one
    /// length) into <paramref name="destination"/>: the digest of message <c>i</c> goes to bytes
    /// <c>32 i</c> to <c>32 i + 31</c>.
    /// </summary>
    public static void HashData(ReadOnlySpan<ReadOnlyMemory<byte>> messages, Span<byte> destination)
    {
        if (messages.Length > Lanes)
        {
            throw new ArgumentException($"at most {Lanes} messages at once, not {messages.Length}", nameof(messages));
        }

        if (destination.Length < messages.Length * SHA256.HashSizeInBytes)
        {
            throw new ArgumentException($"{messages.Length} digests need {messages.Length * SHA256.HashSizeInBytes} bytes, not {destination.Length}", nameof(destination));
        }

        if (messages.IsEmpty)
        {
            return;
        }

        var length = messages[0].Length;
        foreach (var message in messages)
        {
            if (message.Length != length)
            {
                throw new ArgumentException($"the messages must all have one length: {length} and {message.Length} bytes", nameof(messages));
            }
        }

        if (messages.Length < MinMessages || !IsAccelerated)
        {
            for (var i = 0; i < messages.Length; i++)
            {
                SHA256.HashData(messages[i].Span, destination.Slice(i * SHA256.HashSizeInBytes, SHA256.HashSizeInBytes));
            }

            return;
        }

        HashSideBySide(messages, length, destination);
    }

    private static unsafe void HashSideBySide(ReadOnlySpan<ReadOnlyMemory<byte>> messages, int length, Span<byte> destination)
    {
        // Lanes without a message hash the first one again: a pass costs the same either way.
        var pins = default(LanePins);
        var lanes = stackalloc byte*[Lanes];
        var state = stackalloc Vector512<uint>[8];
        // The last, partial block and the padding: one or two blocks per lane.
        var tails = stackalloc byte[Lanes * 2 * BlockSize];
        try
        {
            for (var i = 0; i < messages.Length; i++)
            {
                pins[i] = messages[i].Pin();
                lanes[i] = (byte*)pins[i].Pointer;
            }

            for (var i = messages.Length; i < Lanes; i++)
            {
                lanes[i] = lanes[0];
            }

            for (var word = 0; word < 8; word++)
            {
                state[word] = Vector512.Create(InitialState[word]);
            }

            var fullBlocks = length / BlockSize;
            Compress(lanes, fullBlocks, state);

            var rest = length - (fullBlocks * BlockSize);
            var tailBlocks = rest < BlockSize - 8 ? 1 : 2;
            var tailLength = tailBlocks * BlockSize;
            for (var i = 0; i < Lanes; i++)
            {
                var tail = new Span<byte>(tails + (i * 2 * BlockSize), tailLength);
                tail.Clear();
                new ReadOnlySpan<byte>(lanes[i] + ((long)fullBlocks * BlockSize), rest).CopyTo(tail);
                tail[rest] = 0x80;
                BinaryPrimitives.WriteUInt64BigEndian(tail[^8..], (ulong)length * 8);
                lanes[i] = tails + (i * 2 * BlockSize);
            }

            Compress(lanes, tailBlocks, state);

            for (var i = 0; i < messages.Length; i++)
            {
                var digest = destination.Slice(i * SHA256.HashSizeInBytes, SHA256.HashSizeInBytes);
                for (var word = 0; word < 8; word++)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(digest[(word * 4)..], state[word].GetElement(i));
                }
            }
        }
        finally
        {
            for (var i = 0; i < messages.Length; i++)
            {
                pins[i].Dispose();
            }
        }
    }

    /// <summary>The pins of one pass's messages, on the stack.</summary>
    [InlineArray(Lanes)]
    private struct LanePins
    {
        private MemoryHandle _first;
    }

    /// <summary>Runs <paramref name="blocks"/> 64-byte blocks of each lane through the compression function.</summary>
    private static unsafe void Compress(byte** lanes, int blocks, Vector512<uint>* state)
    {
        // Message words are big-endian: reverse the bytes of every 32-bit word.
        var byteSwap = Vector512.Create(
            (byte)3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
            3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
            3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
            3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
        var schedule = stackalloc Vector512<uint>[16];
        var rows = stackalloc Vector512<uint>[Lanes];
        ref var k = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(RoundConstants);
        for (long offset = 0; offset < (long)blocks * BlockSize; offset += BlockSize)
        {
            // Row i holds lane i's block; the rounds want word j of every lane in one register:
            // a 16 × 16 transpose of 32-bit words, in 32-bit, 64-bit and 128-bit steps.
            for (var i = 0; i < Lanes; i++)
            {
                rows[i] = Avx512BW.Shuffle(Vector512.Load(lanes[i] + offset), byteSwap).AsUInt32();
            }

            for (var i = 0; i < Lanes; i += 2)
            {
                var (even, odd) = (rows[i], rows[i + 1]);
                rows[i] = Avx512F.UnpackLow(even, odd);
                rows[i + 1] = Avx512F.UnpackHigh(even, odd);
            }

            for (var i = 0; i < Lanes; i += 4)
            {
                var (r0, r1, r2, r3) = (rows[i].AsUInt64(), rows[i + 1].AsUInt64(), rows[i + 2].AsUInt64(), rows[i + 3].AsUInt64());
                rows[i] = Avx512F.UnpackLow(r0, r2).AsUInt32();
                rows[i + 1] = Avx512F.UnpackHigh(r0, r2).AsUInt32();
                rows[i + 2] = Avx512F.UnpackLow(r1, r3).AsUInt32();
                rows[i + 3] = Avx512F.UnpackHigh(r1, r3).AsUInt32();
            }

            // Now 128-bit part q of rows[4 g + m] holds word 4 q + m of lanes 4 g to 4 g + 3.
            for (var m = 0; m < 4; m++)
            {
                var low01 = Avx512F.Shuffle4x128(rows[m], rows[4 + m], 0x44);
                var high01 = Avx512F.Shuffle4x128(rows[m], rows[4 + m], 0xEE);
                var low23 = Avx512F.Shuffle4x128(rows[8 + m], rows[12 + m], 0x44);
                var high23 = Avx512F.Shuffle4x128(rows[8 + m], rows[12 + m], 0xEE);
                schedule[m] = Avx512F.Shuffle4x128(low01, low23, 0x88);
                schedule[4 + m] = Avx512F.Shuffle4x128(low01, low23, 0xDD);
                schedule[8 + m] = Avx512F.Shuffle4x128(high01, high23, 0x88);
                schedule[12 + m] = Avx512F.Shuffle4x128(high01, high23, 0xDD);
            }

            var (a, b, c, d) = (state[0], state[1], state[2], state[3]);
            var (e, f, g, h) = (state[4], state[5], state[6], state[7]);
            for (var t = 0; t < 64; t += 8)
            {
                if (t >= 16)
                {
                    for (var i = t; i < t + 8; i++)
                    {
                        schedule[i & 15] = NextWord(schedule[i & 15], schedule[(i - 15) & 15], schedule[(i - 7) & 15], schedule[(i - 2) & 15]);
                    }
                }

                // Eight rounds with the working variables renamed instead of moved.
                Round(a, b, c, ref d, e, f, g, ref h, schedule[t & 15] + Vector512.Create(Unsafe.Add(ref k, t)));
                Round(h, a, b, ref c, d, e, f, ref g, schedule[(t + 1) & 15] + Vector512.Create(Unsafe.Add(ref k, t + 1)));
                Round(g, h, a, ref b, c, d, e, ref f, schedule[(t + 2) & 15] + Vector512.Create(Unsafe.Add(ref k, t + 2)));
                Round(f, g, h, ref a, b, c, d, ref e, schedule[(t + 3) & 15] + Vector512.Create(Unsafe.Add(ref k, t + 3)));
                Round(e, f, g, ref h, a, b, c, ref d, schedule[(t + 4) & 15] + Vector512.Create(Unsafe.Add(ref k, t + 4)));
                Round(d, e, f, ref g, h, a, b, ref c, schedule[(t + 5) & 15] + Vector512.Create(Unsafe.Add(ref k, t + 5)));
                Round(c, d, e, ref f, g, h, a, ref b, schedule[(t + 6) & 15] + Vector512.Create(Unsafe.Add(ref k, t + 6)));
                Round(b, c, d, ref e, f, g, h, ref a, schedule[(t + 7) & 15] + Vector512.Create(Unsafe.Add(ref k, t + 7)));
            }

            state[0] += a;
            state[1] += b;
            state[2] += c;
            state[3] += d;
            state[4] += e;
            state[5] += f;
            state[6] += g;
            state[7] += h;
        }
    }

    /// <summary>
    /// One round: <paramref name="d"/> becomes d + T1 and <paramref name="h"/> becomes T1 + T2
    /// (the new e and a); the caller renames the others.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(
        Vector512<uint> a, Vector512<uint> b, Vector512<uint> c, ref Vector512<uint> d,
        Vector512<uint> e, Vector512<uint> f, Vector512<uint> g, ref Vector512<uint> h,
        Vector512<uint> wordPlusConstant)
    {
        // 0x96 is a ^ b ^ c, 0xCA is "e ? f : g" (Ch), 0xE8 the majority of a, b, c (Maj).
        var sigma1 = Avx512F.TernaryLogic(Avx512F.RotateRight(e, 6), Avx512F.RotateRight(e, 11), Avx512F.RotateRight(e, 25), 0x96);
        var choose = Avx512F.TernaryLogic(e, f, g, 0xCA);
        var t1 = h + sigma1 + choose + wordPlusConstant;
        var sigma0 = Avx512F.TernaryLogic(Avx512F.RotateRight(a, 2), Avx512F.RotateRight(a, 13), Avx512F.RotateRight(a, 22), 0x96);
        var majority = Avx512F.TernaryLogic(a, b, c, 0xE8);
        d += t1;
        h = t1 + sigma0 + majority;
    }

    /// <summary>The message schedule: W[t] from W[t-16], W[t-15], W[t-7] and W[t-2].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> NextWord(Vector512<uint> w16, Vector512<uint> w15, Vector512<uint> w7, Vector512<uint> w2)
    {
        var s0 = Avx512F.TernaryLogic(Avx512F.RotateRight(w15, 7), Avx512F.RotateRight(w15, 18), Avx512F.ShiftRightLogical(w15, 3), 0x96);
        var s1 = Avx512F.TernaryLogic(Avx512F.RotateRight(w2, 17), Avx512F.RotateRight(w2, 19), Avx512F.ShiftRightLogical(w2, 10), 0x96);
        return w16 + s0 + w7 + s1;
    }
}
