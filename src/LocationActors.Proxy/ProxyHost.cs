using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using LocationActors.Proxy.Client;
using LocationActors.Proxy.Configuration;
using LocationActors.Proxy.Http;
using LocationActors.Proxy.Links;
using LocationActors.Proxy.Metrics;
using LocationActors.Proxy.Service;
using LocationActors.Proxy.Sip;
using Prometheus;

namespace LocationActors.Proxy;

/// <summary>
/// A running proxy: its actor system connected to the cluster (<see cref="LocationProxyHosting.WithLocationProxy"/>),
/// the location service on top, the HTTP API on Kestrel, and the SIP front end — each registered in one host, which
/// starts them in that order and stops them in reverse: HTTP first, then SIP (draining what it has in hand), then the
/// actor system.
/// </summary>
public sealed class ProxyHost : IAsyncDisposable
{
    private readonly WebApplication _web;

    private ProxyHost(WebApplication web)
    {
        _web = web;
        System = web.Services.GetRequiredService<ActorSystem>();
        Service = web.Services.GetRequiredService<ILocationService>();
        Sip = web.Services.GetService<SipServer>();
    }

    public ActorSystem System { get; }

    /// <summary>The .NET client API (what the HTTP API and the SIP front end use).</summary>
    public ILocationService Service { get; }

    /// <summary>The SIP front end, unless turned off (<c>proxy.sip.enabled</c>).</summary>
    public SipServer? Sip { get; }

    public static async Task<ProxyHost> StartAsync(ProxySettings settings, Config config)
    {
        var view = new ClusterViewSource();
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
        builder.Services.AddSingleton(services => new KeepalivePinger(services.GetRequiredService<ILogger<KeepalivePinger>>(), settings.Sip.SocketColumn));
        builder.Services.AddSingleton<ChangeFeed>();
        builder.Services.AddAkka("proxy", akka => akka
            .AddHocon(config, HoconAddMode.Prepend)
            .WithLocationProxy(settings.Cluster, view)
            .WithProxyPresence());
        builder.Services.AddSingleton(services => new MemberReads(settings.MemberReads ?? MemberReadOptions.Off,
            services.GetRequiredService<ILogger<MemberReads>>()));
        builder.Services.AddSingleton<ILocationService>(services => new MeteredLocationService(new LocationService(
            ActorRegistry.For(services.GetRequiredService<ActorSystem>()).Get<LocationProxy>(), view, settings.Cluster.RequestTimeout,
            services.GetRequiredService<MemberReads>())));
        if (settings.Sip.Enabled)
            builder.Services.AddSipFrontEnd(settings);

        var web = builder.Build();
        web.MapLocationApi();
        web.MapMetrics("/metrics");
        await web.StartAsync();
        return new ProxyHost(web);
    }

    /// <summary>Completes once the host was asked to stop (<see cref="RequestStop"/>) and has stopped.</summary>
    public Task WaitForShutdownAsync() => _web.WaitForShutdownAsync();

    /// <summary>Stops the host in order: HTTP, then SIP after it drained, then the actor system.</summary>
    public void RequestStop() => _web.Lifetime.StopApplication();

    public async ValueTask DisposeAsync()
    {
        await _web.StopAsync();
        await _web.DisposeAsync();
    }
}
