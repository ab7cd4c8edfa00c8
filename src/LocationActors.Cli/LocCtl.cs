using System.CommandLine;
using LocationActors.Cli.Commands;

namespace LocationActors.Cli;

/// <summary>
/// <c>locctl</c>: the operator's tool. <c>hash</c> works offline; the other commands talk to the proxy's HTTP API
/// (docs/http-api.md) at <c>--url</c> (environment LA_PROXY_URL, else http://127.0.0.1:8080).
/// Exit codes:
/// 0 done;
/// 1 not found (the proxy answered 404), or a command line that does not parse (an unknown command or option, a
///   missing or malformed argument: System.CommandLine's own usage errors);
/// 2 invalid input: a value locctl refuses (hash's key, --groups, --url, --timeout, --expires, --q, no --token for
///   the db commands) or the proxy refuses (400, 409, 413);
/// 3 unavailable: the proxy answered 503 (or another 5xx), cannot be reached, did not answer within --timeout, or a
///   dump ended with an error line;
/// 4 not allowed: the proxy refused the admin token (401) or has none configured (403).
/// Every error is one line on stderr, starting with "locctl: ", that says what to do.
/// </summary>
public static class LocCtl
{
    public const int Ok = 0;
    public const int NotFound = 1;
    public const int InvalidInput = 2;
    public const int Unavailable = 3;
    public const int NotAllowed = 4;

    /// <summary>The exit codes as <c>--help</c> shows them; keep in step with the summary above.</summary>
    internal const string ExitCodes = """
        Exit codes:
          0  done
          1  not found (404), or a command line that does not parse
          2  invalid input: a value locctl or the proxy refuses (400, 409, 413)
          3  unavailable: 503, the proxy cannot be reached or did not answer in time, a dump cut short
          4  not allowed: the proxy refuses the admin token (401) or has none (403)
        """;

    public static Task<int> Main(string[] args) => RunAsync(args, Console.Out, Console.Error);

    /// <summary>Runs one command line, writing to the given streams (tests run it in-process).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error) =>
        Task.Run(() => RunAsync(args, output, error)).GetAwaiter().GetResult();

    /// <inheritdoc cref="Run"/>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancel = default) =>
        RunAsync(args, Streams.Of(output, error), cancel);

    /// <summary>Runs one command line with the given streams, each said to be a terminal or not.</summary>
    internal static Task<int> RunAsync(string[] args, Streams streams, CancellationToken cancel = default)
    {
        var root = new RootCommand($"locctl: operate a LocationActors user-location cluster\n\n{ExitCodes}")
        {
            HashCommand.Create(streams.Output, streams.Error),
            StatusCommand.Create(streams),
            LookupCommand.Create(streams),
            RegisterCommand.Create(streams),
            RemoveCommand.Create(streams),
            DumpCommand.Create(streams),
            DbCommand.Create(streams),
        };
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = streams.Output, Error = streams.Error }, cancel);
    }
}
