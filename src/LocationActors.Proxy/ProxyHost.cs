using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.PublishSubscribe;
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
        // The pub-sub defaults bind the serializer of the cluster client's Send envelope.
        var system = ActorSystem.Create("proxy", config.WithFallback(ClusterClientReceptionist.DefaultConfig()).WithFallback(DistributedPubSub.DefaultConfig()));
        var client = system.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(system)
            .WithInitialContacts(settings.Cluster.ContactPoints.ToImmutableHashSet())), "cluster-client");
        var proxy = system.ActorOf(LocationProxy.Props(client, settings.Cluster), "location-proxy");
        var view = new ClusterViewSource();
        system.ActorOf(ClusterMonitor.Props(proxy, view, settings.Cluster.RefreshInterval, settings.Cluster.RequestTimeout + TimeSpan.FromSeconds(2)),
            "cluster-monitor");
        var service = new MeteredLocationService(new LocationService(proxy, view, settings.Cluster.RequestTimeout));
        ClusterMetrics.Register(view);

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
