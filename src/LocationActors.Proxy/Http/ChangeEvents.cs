using System.Text;
using System.Text.Json;
using LocationActors.Cluster.ProxyLinks;
using LocationActors.Contracts.Http;
using LocationActors.Proxy.Links;
using LocationActors.Proxy.Service;

namespace LocationActors.Proxy.Http;

/// <summary>
/// <c>GET /v1/events</c>: the change feed as server-sent events (docs/http-api.md). Each change is an event named by
/// its kind with a <see cref="ContactEventJson"/> as data; comments say which nodes feed the stream (<c>: linked</c>),
/// how many changes this reader lost by not keeping up (<c>: lost</c>), and keep the connection alive.
/// </summary>
public static class ChangeEvents
{
    /// <summary>A comment this often keeps idle connections (and what is between) from closing.</summary>
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static async Task StreamAsync(HttpContext http, ChangeFeed feed, ILocationService service, CancellationToken ct)
    {
        var aors = new List<string>();
        foreach (var text in http.Request.Query["aor"])
        {
            var aor = service.ParseAor(text ?? "");
            if (aor.Failure is { } invalid)
            {
                await HttpApi.Error(StatusCodes.Status400BadRequest, $"aor '{text}': {invalid.Reason}").ExecuteAsync(http);
                return;
            }

            aors.Add(aor.Value!.Value);
        }

        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        using var reader = feed.Subscribe(aors);
        await Write(http, $": connected; reading {(aors.Count == 0 ? "every AOR" : string.Join(", ", aors))}\n\n", ct);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(Heartbeat);
                var more = false;
                try
                {
                    more = await reader.Items.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await Write(http, ": keepalive\n\n", ct);
                    continue;
                }

                if (!more)
                    return;
                var text = new StringBuilder();
                while (reader.Items.TryRead(out var item))
                {
                    if (item.LinkedNode is { } node)
                        text.Append(": linked ").Append(node).Append("\n\n");
                    else
                        Append(text, item.Change!);
                }

                if (reader.TakeLost() is var lost and > 0)
                    text.Append(": lost ").Append(lost).Append(" changes (this reader did not keep up)\n\n");
                await Write(http, text.ToString(), ct);
            }
        }
        catch (OperationCanceledException)
        {
            // the reader went away
        }
    }

    /// <summary>The event's name: the kind in the API's spelling.</summary>
    public static string KindName(ContactChangeKind kind) => kind switch
    {
        ContactChangeKind.Inserted => "inserted",
        ContactChangeKind.Refreshed => "refreshed",
        ContactChangeKind.Removed => "removed",
        ContactChangeKind.Expired => "expired",
        ContactChangeKind.KeepaliveFailed => "keepalive-failed",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static void Append(StringBuilder text, ContactChange change)
    {
        var kind = KindName(change.Kind);
        var data = new ContactEventJson(kind, change.Aor, change.Contact, change.Ruid, change.Expires, change.Received, change.Path, change.Instance,
            change.At, change.Group);
        text.Append("event: ").Append(kind).Append('\n')
            .Append("data: ").Append(JsonSerializer.Serialize(data, HttpJsonContext.Default.ContactEventJson)).Append("\n\n");
    }

    private static async Task Write(HttpContext http, string text, CancellationToken ct)
    {
        await http.Response.WriteAsync(text, ct);
        await http.Response.Body.FlushAsync(ct);
    }
}
