using LocationActors.Contracts.Http;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace LocationActors.Cli.Http;

/// <summary>A command that cannot finish: <see cref="Exception.Message"/> is the one line for stderr (without "locctl: ").</summary>
internal sealed class CommandFailure(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// The proxy's HTTP API (docs/http-api.md) for one command: every request is bounded by the timeout, and every way it
/// can fail becomes a <see cref="CommandFailure"/> with locctl's exit code and a line saying what to do.
/// </summary>
internal sealed class ProxyClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly TimeSpan _timeout;
    private readonly string? _token;

    public ProxyClient(Uri baseUrl, TimeSpan timeout, string? token)
    {
        // A trailing slash so that relative paths extend a proxy mounted under a path instead of replacing its last segment.
        BaseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        _timeout = timeout;
        _token = string.IsNullOrEmpty(token) ? null : token;
        _http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan }; // our own timeout, which also bounds reading the body
    }

    public Uri BaseUrl { get; }

    /// <summary>The URL as the operator gave it, for messages.</summary>
    private string Shown => BaseUrl.AbsoluteUri.TrimEnd('/');

    /// <summary>Sends one request (path relative to the base URL, segments already escaped) and reads its JSON answer.</summary>
    public async Task<TAnswer> SendAsync<TAnswer>(
        HttpMethod method, string path, JsonTypeInfo<TAnswer> answer, CancellationToken cancel, HttpContent? body = null, bool admin = false)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(_timeout);
        try
        {
            using var request = NewRequest(method, path, body, admin);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
                throw await FailureOfAsync(response, timeout.Token);
            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            return await JsonSerializer.DeserializeAsync(stream, answer, timeout.Token)
                   ?? throw new JsonException("the answer is null");
        }
        catch (Exception e) when (Translate(e, cancel, path) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>
    /// GETs an NDJSON stream and yields its lines as they arrive, never holding more than one: the timeout bounds the
    /// wait for the headers and then for each line.
    /// </summary>
    public async IAsyncEnumerable<string> StreamLinesAsync(string path, [EnumeratorCancellation] CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(_timeout);
        HttpResponseMessage response;
        StreamReader reader;
        try
        {
            using var request = NewRequest(HttpMethod.Get, path, null, admin: false);
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                using (response)
                    throw await FailureOfAsync(response, timeout.Token);
            }

            reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token), Encoding.UTF8);
        }
        catch (Exception e) when (Translate(e, cancel, path) is { } failure)
        {
            throw failure;
        }

        using (response)
        using (reader)
        {
            while (true)
            {
                timeout.CancelAfter(_timeout);
                string? line;
                try
                {
                    line = await reader.ReadLineAsync(timeout.Token);
                }
                catch (Exception e) when (Translate(e, cancel, path, streaming: true) is { } failure)
                {
                    throw failure;
                }

                if (line is null)
                    yield break;
                if (line.Length > 0)
                    yield return line;
            }
        }
    }

    private HttpRequestMessage NewRequest(HttpMethod method, string path, HttpContent? body, bool admin)
    {
        var request = new HttpRequestMessage(method, new Uri(BaseUrl, path)) { Content = body };
        request.Headers.Accept.ParseAdd("application/json");
        if (admin)
        {
            if (_token is null)
                throw new CommandFailure(LocCtl.InvalidInput, "this admin command needs the proxy's admin token; set --token or LA_ADMIN_TOKEN");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _token);
        }

        return request;
    }

    /// <summary>An error answer: its status picks the exit code, its <c>error</c> field is the message.</summary>
    private async Task<CommandFailure> FailureOfAsync(HttpResponseMessage response, CancellationToken cancel)
    {
        var code = (int)response.StatusCode;
        string? error = null;
        try
        {
            var body = await response.Content.ReadAsStringAsync(cancel);
            error = JsonSerializer.Deserialize(body, HttpJsonContext.Default.ErrorJson)?.Error;
        }
        catch (JsonException)
        {
            // not the proxy's error shape: said below
        }

        var text = string.IsNullOrWhiteSpace(error)
            ? $"{Shown} answered {code} {response.ReasonPhrase} without an error message; is --url the proxy?"
            : OneLine(error);
        return code switch
        {
            404 => new CommandFailure(LocCtl.NotFound, text),
            401 => new CommandFailure(LocCtl.NotAllowed, $"the proxy rejects the admin token: {text}"),
            403 => new CommandFailure(LocCtl.NotAllowed, $"the proxy refuses admin commands: {text}"),
            503 => new CommandFailure(LocCtl.Unavailable, $"the cluster cannot do it now: {text}{RetryAfter(response)}"),
            >= 500 => new CommandFailure(LocCtl.Unavailable, $"the proxy failed ({code}): {text}"),
            _ => new CommandFailure(LocCtl.InvalidInput, text), // 400, 409, 413
        };
    }

    private static string RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => $" (retry after {delta.TotalSeconds:0} s)",
        { Date: { } date } => $" (retry after {date.UtcDateTime:u})",
        _ => "",
    };

    /// <summary>What an exception means to the operator; null for the ones that are not about the proxy (and Ctrl+C).</summary>
    private CommandFailure? Translate(Exception e, CancellationToken cancel, string path, bool streaming = false) => e switch
    {
        CommandFailure => null,
        OperationCanceledException when cancel.IsCancellationRequested => null,
        OperationCanceledException when streaming => new CommandFailure(LocCtl.Unavailable,
            $"{Shown} sent no line of /{path} for {Seconds} s; the cluster may be stuck, retry later or raise --timeout"),
        OperationCanceledException => new CommandFailure(LocCtl.Unavailable,
            $"the proxy at {Shown} did not answer within {Seconds} s; retry later or raise --timeout"),
        HttpRequestException h when streaming || h.HttpRequestError is HttpRequestError.ResponseEnded => new CommandFailure(LocCtl.Unavailable,
            $"{Shown} broke off /{path} ({OneLine(h.Message)}); retry"),
        HttpRequestException h => new CommandFailure(LocCtl.Unavailable,
            $"cannot reach the proxy at {Shown} ({Reason(h)}); is it running? set --url or LA_PROXY_URL"),
        IOException io => new CommandFailure(LocCtl.Unavailable, $"{Shown} broke off /{path} ({OneLine(io.Message)}); retry"),
        JsonException json => new CommandFailure(LocCtl.Unavailable,
            $"{Shown} answered /{path} with JSON locctl does not understand ({OneLine(json.Message)}); is --url the proxy?"),
        _ => null,
    };

    private string Seconds => _timeout.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    private static string Reason(HttpRequestException e) => e.InnerException switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "connection refused",
        SocketException s => OneLine(s.Message),
        _ when e.HttpRequestError is HttpRequestError.NameResolutionError => "unknown host",
        _ => OneLine(e.Message),
    };

    /// <summary>Errors are one line on stderr, whatever the server or the runtime put in them.</summary>
    internal static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();

    public void Dispose() => _http.Dispose();
}
