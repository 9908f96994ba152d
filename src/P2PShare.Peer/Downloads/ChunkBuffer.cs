using System.Runtime.InteropServices;

namespace P2PShare.Peer;

/// <summary>
/// One chunk's worth of memory that starts on a <see cref="PartFile.Alignment"/> boundary and
/// never moves (it lives on the pinned object heap), so a chunk received into it can be written
/// to disk with direct I/O straight from it.
/// </summary>
internal sealed class ChunkBuffer
{
    private readonly byte[] _array;
    private readonly int _start;

    public ChunkBuffer(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        _array = GC.AllocateUninitializedArray<byte>(size + PartFile.Alignment, pinned: true);
        // The array is pinned for its whole life, so its address, taken once, stays true.
        var address = Marshal.UnsafeAddrOfPinnedArrayElement(_array, 0);
        _start = (int)((PartFile.Alignment - (address % PartFile.Alignment)) % PartFile.Alignment);
        Size = size;
    }

    public int Size { get; }

    public Memory<byte> Memory(int length) => _array.AsMemory(_start, length);

    public Span<byte> Span(int length) => _array.AsSpan(_start, length);
}
