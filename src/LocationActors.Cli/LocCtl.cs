using System.CommandLine;
using LocationActors.Cli.Commands;

namespace LocationActors.Cli;

/// <summary>
/// <c>locctl</c>: the operator's tool. Exit codes: 0 done, 1 usage error (unknown command or option),
/// 2 invalid input (the message says which and why).
/// </summary>
public static class LocCtl
{
    public const int Ok = 0;
    public const int InvalidInput = 2;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs one command line, writing to the given streams (tests run it in-process).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("locctl: operate a LocationActors user-location cluster")
        {
            HashCommand.Create(output, error),
        };
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
    }
}
