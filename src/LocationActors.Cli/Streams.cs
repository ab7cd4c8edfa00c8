using Spectre.Console;

namespace LocationActors.Cli;

/// <summary>
/// Where a command writes: its stdout and stderr, and whether each is a terminal. Spectre.Console renders to them
/// through <see cref="OutConsole"/> and <see cref="ErrorConsole"/>: colours and live displays on a terminal, plain
/// text elsewhere (files, pipes, tests).
/// </summary>
internal sealed record Streams(TextWriter Output, TextWriter Error, bool OutputIsTerminal, bool ErrorIsTerminal)
{
    /// <summary>Writers that are the process's own stdout or stderr know whether they are redirected; any other is not a terminal.</summary>
    public static Streams Of(TextWriter output, TextWriter error) => new(
        output, error,
        ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected,
        ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected);

    public IAnsiConsole OutConsole() => Create(Output, OutputIsTerminal);

    public IAnsiConsole ErrorConsole() => Create(Error, ErrorIsTerminal);

    private static IAnsiConsole Create(TextWriter writer, bool terminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Yes : InteractionSupport.No, // Detect would look at stdin
            Enrichment = new ProfileEnrichment { UseDefaultEnrichers = terminal }, // no CI-specific profile for plain text
        });
        if (!terminal)
            console.Profile.Width = 1000; // a file or a pipe gets whole lines, not lines wrapped at 80 columns
        return console;
    }
}
