using System.CommandLine;
using System.Globalization;

namespace LocationActors.Cli.Http;

/// <summary>
/// <c>--url</c>, <c>--token</c> and <c>--timeout</c>, which every command that talks to the proxy takes, and the
/// frame of such a command: it builds the <see cref="ProxyClient"/> and turns a <see cref="CommandFailure"/> into
/// its line on stderr and its exit code.
/// </summary>
internal sealed class ProxyOptions
{
    public const string UrlVariable = "LA_PROXY_URL";
    public const string TokenVariable = "LA_ADMIN_TOKEN";
    public const string DefaultUrl = "http://127.0.0.1:8080";

    private readonly Option<string> _url = new("--url")
    {
        Description = $"the proxy's HTTP endpoint (environment {UrlVariable})",
        DefaultValueFactory = _ => Variable(UrlVariable) ?? DefaultUrl,
    };

    private readonly Option<string> _token = new("--token")
    {
        Description = $"the proxy's admin token, for the db commands (environment {TokenVariable})",
        DefaultValueFactory = _ => Variable(TokenVariable) ?? "",
    };

    private readonly Option<double> _timeout = new("--timeout")
    {
        HelpName = "seconds",
        Description = "seconds to wait for an answer (for dump: for each line)",
        DefaultValueFactory = _ => 10,
    };

    /// <summary>A command that talks to the proxy: the options are added, <paramref name="action"/> runs with a client.</summary>
    public static Command CreateCommand(string name, string description, Streams streams, Func<ParseResult, ProxyClient, CancellationToken, Task<int>> action)
    {
        var options = new ProxyOptions();
        var command = new Command(name, description) { options._url, options._token, options._timeout };
        command.SetAction((result, cancel) => options.RunAsync(result, streams, action, cancel));
        return command;
    }

    private async Task<int> RunAsync(ParseResult result, Streams streams, Func<ParseResult, ProxyClient, CancellationToken, Task<int>> action, CancellationToken cancel)
    {
        try
        {
            using var client = CreateClient(result);
            return await action(result, client, cancel);
        }
        catch (CommandFailure failure)
        {
            await streams.Error.WriteLineAsync($"locctl: {failure.Message}");
            return failure.ExitCode;
        }
    }

    private ProxyClient CreateClient(ParseResult result)
    {
        var url = result.GetValue(_url) ?? DefaultUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new CommandFailure(LocCtl.InvalidInput, $"--url must be an http:// or https:// URL such as {DefaultUrl} (got '{url}'); set --url or {UrlVariable}");

        var seconds = result.GetValue(_timeout);
        if (!(seconds > 0) || seconds > int.MaxValue / 1000)
            throw new CommandFailure(LocCtl.InvalidInput, $"--timeout must be a positive number of seconds (got {seconds.ToString(CultureInfo.InvariantCulture)})");

        return new ProxyClient(uri, TimeSpan.FromSeconds(seconds), result.GetValue(_token));
    }

    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
