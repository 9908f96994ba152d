namespace P2PShare.Fuzz;

/// <summary>
/// The code under test broke its contract on some input (accepted what it should refuse, refused
/// with the wrong code, disagreed with itself). Like any other exception that escapes a target,
/// SharpFuzz reports it to AFL++ as a crash.
/// </summary>
internal sealed class ContractViolationException : Exception
{
    public ContractViolationException(string message)
        : base(message)
    {
    }

    public ContractViolationException()
        : this("contract violated")
    {
    }

    public ContractViolationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Throws when <paramref name="condition"/> is false.</summary>
    public static void Require(bool condition, string what)
    {
        if (!condition)
        {
            throw new ContractViolationException(what);
        }
    }
}
