using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace LocationActors.Cli.Tests;

/// <summary>A request as the fake proxy received it: the target as sent (still URL-encoded), the bearer header and the body.</summary>
public sealed record ReceivedRequest(string Method, string Target, string? Authorization, string Body);

/// <summary>
/// A real HTTP server on 127.0.0.1 and a free port (Kestrel) standing in for the proxy: it records every request
/// and answers with what the test gives.
/// </summary>
public sealed class FakeProxy : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeProxy(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();

    public ReceivedRequest Request => Assert.Single(Requests);

    /// <summary>Answers every request with <paramref name="status"/> and the JSON <paramref name="json"/>.</summary>
    public static Task<FakeProxy> StartAsync(int status, string json, string? retryAfter = null) => StartAsync(async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (retryAfter is not null)
            context.Response.Headers.RetryAfter = retryAfter;
        await context.Response.WriteAsync(json);
    });

    public static async Task<FakeProxy> StartAsync(Func<HttpContext, Task> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        FakeProxy? proxy = null;
        app.Run(async context =>
        {
            var body = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync();
            proxy!.Requests.Enqueue(new ReceivedRequest(
                context.Request.Method,
                context.Features.Get<IHttpRequestFeature>()!.RawTarget,
                context.Request.Headers.Authorization.FirstOrDefault(),
                body));
            await answer(context);
        });
        await app.StartAsync();
        proxy = new FakeProxy(app, app.Urls.Single().TrimEnd('/'));
        return proxy;
    }

    /// <summary>A URL where nothing listens: a port that was free a moment ago.</summary>
    public static string NothingListening()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        var port = ((IPEndPoint)socket.LocalEndpoint).Port;
        socket.Stop();
        return $"http://127.0.0.1:{port}";
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
