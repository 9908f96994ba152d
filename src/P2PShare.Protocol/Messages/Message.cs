namespace P2PShare.Protocol;

/// <summary>One decoded frame. Each message is a sealed record in its own file.</summary>
public abstract record Message
{
    public abstract MessageType Type { get; }

    /// <summary>The name used in PROTOCOL.md and in error messages (REGISTER, GET, ...).</summary>
    public abstract string Name { get; }

    internal static bool SequenceEquals<T>(IReadOnlyList<T> left, IReadOnlyList<T> right)
    {
        if (ReferenceEquals(left, right))
        {
            return true;
        }

        if (left.Count != right.Count)
        {
            return false;
        }

        var comparer = EqualityComparer<T>.Default;
        for (var i = 0; i < left.Count; i++)
        {
            if (!comparer.Equals(left[i], right[i]))
            {
                return false;
            }
        }

        return true;
    }

    internal static int SequenceHash<T>(IReadOnlyList<T> items)
    {
        var hash = new HashCode();
        hash.Add(items.Count);
        foreach (var item in items)
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }
}
