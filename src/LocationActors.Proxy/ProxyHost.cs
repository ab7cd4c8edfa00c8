using Akka.Actor;
using Akka.Configuration;
using LocationActors.Proxy.Client;
using LocationActors.Proxy.Configuration;
using LocationActors.Proxy.Http;
using LocationActors.Proxy.Metrics;
using LocationActors.Proxy.Service;
using Prometheus;

namespace LocationActors.Proxy;

/// <summary>
/// A running proxy: an actor system that is not a cluster member, its cluster client, the <see cref="LocationProxy"/>
/// and <see cref="ClusterMonitor"/>, the location service, and the HTTP API on Kestrel.
/// </summary>
public sealed class ProxyHost : IAsyncDisposable
{
    private ProxyHost(ActorSystem system, ILocationService service, WebApplication web)
    {
        System = system;
        Service = service;
        Web = web;
    }

    public ActorSystem System { get; }

    /// <summary>The .NET client API (what the HTTP API and the SIP front end use).</summary>
    public ILocationService Service { get; }

    public WebApplication Web { get; }

    public static async Task<ProxyHost> StartAsync(ProxySettings settings, Config config)
    {
        var connection = ClusterConnection.Start(settings, config);
        var system = connection.System;
        var service = new MeteredLocationService(connection.Service);
        ClusterMetrics.Register(connection.View);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(settings.Http.Endpoint);
            kestrel.Limits.MaxRequestBodySize = settings.Http.MaxBodySize;
            kestrel.AddServerHeader = false;
        });
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<ILocationService>(service);
        var web = builder.Build();
        web.MapLocationApi();
        web.MapMetrics("/metrics");
        await web.StartAsync();
        return new ProxyHost(system, service, web);
    }

    public async ValueTask DisposeAsync()
    {
        await Web.StopAsync();
        await Web.DisposeAsync();
        await System.Terminate();
    }
}
