using P2PShare.Fuzz;
using SharpFuzz;

// p2pshare-fuzz TARGET            runs TARGET under AFL++ (SharpFuzz's fork server; input on stdin)
// p2pshare-fuzz replay TARGET PATH...   runs each file (or each file of each folder) once
// p2pshare-fuzz seeds DIR         writes the seed corpus
// p2pshare-fuzz list              prints the targets
using var frames = new FrameStreamHarness();
var targets = FuzzTarget.All(frames);

FuzzTarget Find(string name) =>
    targets.FirstOrDefault(t => t.Name == name) ?? throw new ArgumentException($"no target '{name}'; 'list' shows them");

switch (args)
{
    case ["list"]:
        foreach (var target in targets)
        {
            Console.WriteLine($"{target.Name,-10} {target.Input}");
        }

        return 0;
    case ["seeds", var directory]:
        SeedCorpus.Write(directory);
        return 0;
    case ["replay", var name, .. var paths] when paths.Length > 0:
        var replayed = Find(name);
        ReplayCoverage.Attach();
        var count = 0;
        foreach (var path in paths)
        {
            var files = Directory.Exists(path) ? Directory.GetFiles(path).Order(StringComparer.Ordinal) : Enumerable.Repeat(path, 1);
            foreach (var file in files)
            {
                // An exception here ends the replay with its stack trace: the file is the crash.
                Console.Error.WriteLine($"{name}: {file}");
                replayed.Run(File.ReadAllBytes(file));
                count++;
            }
        }

        Console.WriteLine($"{name}: {count} inputs, no crash");
        return 0;
    case [var name]:
        var fuzzed = Find(name);
        Fuzzer.Run(stream =>
        {
            using var input = new MemoryStream();
            stream.CopyTo(input);
            fuzzed.Run(input.ToArray());
        });
        return 0;
    default:
        Console.Error.WriteLine("usage: p2pshare-fuzz TARGET | replay TARGET PATH... | seeds DIR | list");
        return 2;
}
