using System.Collections.Concurrent;
using System.Text.Json;

namespace LocationActors.TestSupport;

/// <summary>Reads a server-sent event stream (<c>GET /v1/events</c>) in the background: its events and its comments, as they come.</summary>
public sealed class EventStreamReader : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    public EventStreamReader(Uri url)
    {
        _http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        _reading = Task.Run(() => ReadAsync(url));
    }

    /// <summary>Each event: its name and its data as JSON.</summary>
    public ConcurrentQueue<(string Name, JsonElement Data)> Events { get; } = new();

    /// <summary>Each comment line, without the colon.</summary>
    public ConcurrentQueue<string> Comments { get; } = new();

    /// <summary>Set when the stream ended or failed.</summary>
    public string? Ended { get; private set; }

    /// <summary>The events of one kind about one AOR.</summary>
    public IReadOnlyList<JsonElement> Of(string name, string aor) =>
        Events.Where(e => e.Name == name && e.Data.GetProperty("aor").GetString() == aor).Select(e => e.Data).ToList();

    private async Task ReadAsync(Uri url)
    {
        try
        {
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
            if (!response.IsSuccessStatusCode)
            {
                Ended = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                return;
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(_stop.Token));
            string? name = null;
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.StartsWith(':'))
                    Comments.Enqueue(line[1..].Trim());
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                    name = line["event: ".Length..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                    Events.Enqueue((name ?? "message", JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone()));
                else if (line.Length == 0)
                    name = null;
            }

            Ended = "the stream ended";
        }
        catch (OperationCanceledException)
        {
            Ended = "stopped";
        }
        catch (Exception e)
        {
            Ended = e.Message;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading.ContinueWith(_ => { }, TaskScheduler.Default);
        _http.Dispose();
    }
}
