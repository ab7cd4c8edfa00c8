namespace LocationActors.Cli.Tests;

/// <summary>Runs locctl in-process, as a test would see it from a shell.</summary>
internal static class Cli
{
    public static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = await LocCtl.RunAsync(args, output, error);
        return (code, output.ToString().TrimEnd(), error.ToString().TrimEnd());
    }

    /// <summary>As <see cref="RunAsync"/>, with stdout and stderr said to be terminals or not.</summary>
    public static async Task<(int Code, string Output, string Error)> RunOnAsync(bool outputIsTerminal, bool errorIsTerminal, params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = await LocCtl.RunAsync(args, new Streams(output, error, outputIsTerminal, errorIsTerminal));
        return (code, output.ToString().TrimEnd(), error.ToString().TrimEnd());
    }

    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    /// <summary>The one-line error every failing command prints.</summary>
    public static void AssertOneLineError(string error, string expected)
    {
        Assert.StartsWith("locctl: ", error);
        Assert.DoesNotContain('\n', error);
        Assert.Contains(expected, error);
    }
}
