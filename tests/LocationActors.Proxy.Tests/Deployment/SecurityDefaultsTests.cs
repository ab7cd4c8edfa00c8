using System.Net;
using LocationActors.Node.Configuration;
using LocationActors.Proxy.Configuration;
using LocationActors.TestSupport;

namespace LocationActors.Proxy.Tests.Deployment;

/// <summary>
/// The shipped files open nothing to a network: every listener of the node and the proxy (Akka remoting, HTTP with
/// /metrics, SIP) binds loopback and is known by it, and the admin routes are off until a token is configured.
/// Masked passwords in /v1/cluster and locctl status are checked end to end by HttpApiTests and LocCtlTests.
/// </summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class SecurityDefaultsTests
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Fact]
    public void The_node_binds_and_is_known_by_loopback()
    {
        var config = NodeConfig.Load(environment: NoEnvironment);

        Assert.Equal("127.0.0.1", config.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal("", config.GetString("akka.remote.dot-netty.tcp.public-hostname"));
        Assert.All(config.GetStringList("akka.cluster.seed-nodes"), seed => Assert.StartsWith("akka.tcp://location@127.0.0.1:", seed));
    }

    [Fact]
    public void Every_listener_of_the_proxy_binds_loopback_and_admin_routes_are_off()
    {
        var config = ProxyConfig.Load(environment: NoEnvironment);
        var settings = ProxySettings.FromConfig(config);

        Assert.Equal("127.0.0.1", config.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal("", config.GetString("akka.remote.dot-netty.tcp.public-hostname"));
        Assert.True(IPAddress.IsLoopback(settings.Http.Endpoint.Address), $"HTTP on {settings.Http.Endpoint}");
        Assert.True(IPAddress.IsLoopback(settings.Sip.Endpoint.Address), $"SIP on {settings.Sip.Endpoint}");
        Assert.Null(settings.Http.AdminToken);
    }
}
