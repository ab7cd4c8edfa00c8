using Akka.Actor;
using Akka.Configuration;
using LocationActors.Proxy.Client;
using LocationActors.Proxy.Configuration;
using LocationActors.Proxy.Http;
using LocationActors.Proxy.Metrics;
using LocationActors.Proxy.Service;
using LocationActors.Proxy.Sip;
using Prometheus;

namespace LocationActors.Proxy;

/// <summary>
/// A running proxy: its <see cref="ClusterConnection"/> to the cluster (the location service), the HTTP API on
/// Kestrel, and the SIP front end.
/// </summary>
public sealed class ProxyHost : IAsyncDisposable
{
    private ProxyHost(ActorSystem system, ILocationService service, WebApplication web, SipServer? sip)
    {
        System = system;
        Service = service;
        Web = web;
        Sip = sip;
    }

    public ActorSystem System { get; }

    /// <summary>The .NET client API (what the HTTP API and the SIP front end use).</summary>
    public ILocationService Service { get; }

    public WebApplication Web { get; }

    /// <summary>The SIP front end, unless turned off (<c>proxy.sip.enabled</c>).</summary>
    public SipServer? Sip { get; }

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

        SipServer? sip = null;
        if (settings.Sip.Enabled)
        {
            sip = new SipServer(settings.Sip, new SipRequestHandler(service, settings.Expires, settings.Sip),
                web.Services.GetRequiredService<ILoggerFactory>().CreateLogger("LocationActors.Sip"));
            sip.Start();
        }

        return new ProxyHost(system, service, web, sip);
    }

    public async ValueTask DisposeAsync()
    {
        if (Sip is not null)
            await Sip.DisposeAsync();
        await Web.StopAsync();
        await Web.DisposeAsync();
        await System.Terminate();
    }
}
