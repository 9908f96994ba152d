using BenchmarkDotNet.Running;

namespace P2PShare.Benchmarks;

/// <summary>Runs the micro-benchmarks: <c>dotnet run -c Release --project bench/P2PShare.Benchmarks -- --filter '*'</c>.</summary>
internal static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
