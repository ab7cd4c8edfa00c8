using Akka.Configuration;
using LocationActors.Proxy.Configuration;
using LocationActors.TestSupport;

namespace LocationActors.Proxy.Tests;

/// <summary>The shipped <c>hocon/proxy.hocon</c>: what it sets, that the environment wins, and clear errors for bad values.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class ProxySettingsTests
{
    private static ProxySettings Load(Dictionary<string, string>? environment = null) =>
        ProxySettings.FromConfig(ProxyConfig.Load(environment: key => environment?.GetValueOrDefault(key)));

    [Fact]
    public void The_shipped_file_listens_on_loopback_with_admin_routes_off()
    {
        var settings = Load();

        Assert.Equal("127.0.0.1:8080", settings.Http.Endpoint.ToString());
        Assert.Null(settings.Http.AdminToken);
        Assert.Equal(65536, settings.Http.MaxBodySize);
        Assert.Equal((TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(25)), (settings.Cluster.AttemptTimeout, settings.Cluster.RequestTimeout));
        Assert.Equal(["akka.tcp://location@127.0.0.1:4053/system/receptionist", "akka.tcp://location@127.0.0.1:4054/system/receptionist",
            "akka.tcp://location@127.0.0.1:4055/system/receptionist"], settings.Cluster.ContactPoints.Select(p => p.ToString()));
        Assert.Equal(3600, settings.DefaultExpires);
        Assert.True(settings.Cluster.RouteToGroupNode);
        Assert.Null(settings.Sip.SocketColumn); // NULL in the socket column: no Kamailio refuses it
        Assert.Null(settings.MemberReads!.MasterDbUrl); // no member reads unless the master is named
    }

    [Fact]
    public void Member_reads_take_the_master_url_the_nodes_take()
    {
        var reads = Load(new Dictionary<string, string> { ["LA_MASTER_DB_URL"] = "mysql://u:secret@db-master:3306/kamailio", ["LA_MEMBER_READ_AFTER"] = "250ms" })
            .MemberReads!;

        Assert.Equal(("db-master", "kamailio", "locdb"), (reads.MasterDbUrl!.Host, reads.MasterDbUrl.Database, reads.LocDbTable));
        Assert.Equal(TimeSpan.FromMilliseconds(250), reads.After);
    }

    [Fact]
    public void Every_variable_overrides_its_key()
    {
        var config = ProxyConfig.Load(environment: key => key switch
        {
            "LA_CONTACT_POINTS" => "akka.tcp://location@10.0.0.1:4053, akka.tcp://location@10.0.0.2:4053",
            "LA_HTTP_ENDPOINT" => "0.0.0.0:9090",
            "LA_ADMIN_TOKEN" => "s3cret",
            "LA_REQUEST_TIMEOUT" => "5s",
            "LA_MAX_IN_FLIGHT" => "7",
            "LA_PROXY_PORT" => "4999",
            "LA_ROUTE_TO_GROUP_NODE" => "off",
            _ => null,
        });
        var settings = ProxySettings.FromConfig(config);

        Assert.Equal(2, settings.Cluster.ContactPoints.Count);
        Assert.Equal("10.0.0.2", settings.Cluster.ContactPoints[1].Address.Host);
        Assert.Equal(("0.0.0.0:9090", "s3cret"), (settings.Http.Endpoint.ToString(), settings.Http.AdminToken));
        Assert.Equal((TimeSpan.FromSeconds(5), 7), (settings.Cluster.RequestTimeout, settings.Cluster.MaxInFlight));
        Assert.Equal(4999, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.False(settings.Cluster.RouteToGroupNode);
    }

    [Fact]
    public void Every_variable_wins_over_the_shipped_file()
    {
        // Each variable alone, set to a value the file does not hold: its key reads that value.
        foreach (var (variable, path) in ProxyConfig.Variables)
        {
            var config = ProxyConfig.Load(environment: name => name == variable ? $"from-{variable},second" : null);

            if (path == "proxy.cluster.contact-points")
                Assert.Equal([$"from-{variable}", "second"], config.GetStringList(path));
            else
                Assert.Equal($"from-{variable},second", config.GetString(path));
        }
    }

    [Fact]
    public void Every_variable_names_a_key_of_the_shipped_file()
    {
        var shipped = ConfigurationFactory.ParseString(File.ReadAllText(ProxyConfig.DefaultPath));
        var text = File.ReadAllText(ProxyConfig.DefaultPath);
        foreach (var (variable, path) in ProxyConfig.Variables)
        {
            Assert.True(shipped.HasPath(path), $"{variable}: {path} is not in proxy.hocon");
            Assert.Contains($"Environment: {variable}", text);
        }
    }

    [Theory]
    [InlineData("LA_HTTP_ENDPOINT", "localhost", "proxy.http.endpoint")]
    [InlineData("LA_CONTACT_POINTS", "not-an-address", "proxy.cluster.contact-points")]
    [InlineData("LA_REQUEST_TIMEOUT", "100ms", "proxy.cluster.request-timeout")]
    [InlineData("LA_MAX_IN_FLIGHT", "0", "proxy.cluster.max-in-flight")]
    [InlineData("LA_DEFAULT_EXPIRES", "-1", "proxy.registrar.default-expires")]
    [InlineData("LA_SIP_SOCKET_COLUMN", "127.0.0.1:5060", "proxy.sip.socket-column")]
    [InlineData("LA_SIP_SOCKET_COLUMN", "udp:127.0.0.1:70000", "proxy.sip.socket-column")]
    [InlineData("LA_MASTER_DB_URL", "postgres-ish://nowhere", "proxy.member-reads.master-db-url")]
    [InlineData("LA_MEMBER_READ_AFTER", "0s", "proxy.member-reads.after")]
    [InlineData("LA_SIP_PATH_MODE", "sometimes", "proxy.sip.path-mode")]
    [InlineData("LA_DEFAULT_EXPIRES_RANGE", "101", "proxy.registrar.default-expires-range")]
    [InlineData("LA_EXPIRES_RANGE", "-5", "proxy.registrar.expires-range")]
    [InlineData("LA_SIP_RETRY_AFTER_RANGE", "150", "proxy.sip.retry-after-range")]
    public void A_bad_value_is_refused_naming_its_key(string variable, string value, string key)
    {
        var error = Assert.Throws<ConfigurationException>(() => Load(new Dictionary<string, string> { [variable] = value }));
        Assert.Contains(key, error.Message);
    }

    [Theory]
    [InlineData("udp:10.0.0.5:5060")]
    [InlineData("tcp:edge1.example.com:5060")]
    [InlineData("tls:[2001:db8::1]:5061")]
    public void A_kamailio_socket_is_stored_as_given(string socket)
    {
        Assert.Equal(socket, Load(new Dictionary<string, string> { ["LA_SIP_SOCKET_COLUMN"] = socket }).Sip.SocketColumn);
    }

    [Fact]
    public void A_retry_after_is_spread_above_its_seconds_by_its_range_in_whole_seconds()
    {
        var sip = Load(new Dictionary<string, string> { ["LA_SIP_RETRY_AFTER"] = "4", ["LA_SIP_RETRY_AFTER_RANGE"] = "50" }).Sip;
        var random = new Random(3);

        var values = Enumerable.Range(0, 1000).Select(_ => sip.RetryAfter(random)).ToList();

        Assert.Equal([4, 5, 6], values.Distinct().Order()); // 4 s plus up to 50 % of it
        Assert.Equal(4, (sip with { RetryAfterRange = 0 }).RetryAfter(random));
        Assert.Equal(100, Load(null).Sip.RetryAfterRange); // the shipped default: 5 to 10 s
    }
}
