using LocationActors.Proxy.Configuration;
using LocationActors.Proxy.Service;

namespace LocationActors.Proxy.Sip;

/// <summary>
/// The SIP front end as a hosted service: it starts once the location service can be reached, and on shutdown
/// (SIGTERM) it drains — what it has in hand is answered, new requests are told to go elsewhere — before its sockets
/// close, so a rolling restart loses no transaction.
/// </summary>
public sealed class SipFrontEnd(IServiceProvider services) : IHostedService
{
    /// <summary>How long a stopping proxy waits for the requests it has in hand: a little more than a failover's wait.</summary>
    public static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(10);

    private SipServer? _server;

    /// <summary>The server is made here, not when the host is built: the location service needs the started actor system.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _server = services.GetRequiredService<SipServer>();
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is null)
            return;
        await _server.DrainAsync(DrainLimit, cancellationToken);
        await _server.DisposeAsync();
    }
}

/// <summary>The SIP front end's registration, beside it.</summary>
public static class SipFrontEndHosting
{
    public static IServiceCollection AddSipFrontEnd(this IServiceCollection services, ProxySettings settings)
    {
        services.AddSingleton(provider => new SipServer(settings.Sip,
            new SipRequestHandler(provider.GetRequiredService<ILocationService>(), settings.Expires, settings.Sip),
            provider.GetRequiredService<ILoggerFactory>().CreateLogger("LocationActors.Sip"), provider.GetRequiredService<KeepalivePinger>()));
        return services.AddHostedService<SipFrontEnd>();
    }
}
