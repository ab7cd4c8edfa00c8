using System.Text.Json;
using LocationActors.Cli;
using LocationActors.TestSupport;

namespace LocationActors.Proxy.Tests;

/// <summary>Every <c>locctl</c> command against the real proxy in front of three real nodes.</summary>
[Collection(ProxiedClusterCollection.Name)]
[Trait(Tier.Name, Tier.Process)]
public sealed class LocCtlTests(ProxiedCluster cluster)
{
    private async Task<(int Code, string Output, string Error)> LocCtlAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = await LocCtl.RunAsync(args[0] == "hash" ? args : [.. args, "--url", cluster.ProxyUrl], output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Register_lookup_and_rm_work_end_to_end()
    {
        var registered = await LocCtlAsync("register", "frank", "sip:frank@192.0.2.44:5060", "--expires", "120", "--q", "0.5");
        Assert.True(registered.Code == 0, registered.Error);
        Assert.Contains("sip:frank@192.0.2.44:5060", registered.Output);

        var found = await LocCtlAsync("lookup", "sip:frank@example.com");
        Assert.Equal(0, found.Code);
        Assert.Contains("sip:frank@192.0.2.44:5060", found.Output);
        Assert.Contains("q=0.5", found.Output);

        var one = await LocCtlAsync("rm", "frank", "sip:frank@192.0.2.44:5060");
        Assert.Equal(0, one.Code);
        Assert.Contains("removed 1 binding", one.Output);
        var gone = await LocCtlAsync("lookup", "frank");
        Assert.Equal(1, gone.Code);
        Assert.Contains("frank has no valid contact", gone.Error);

        await LocCtlAsync("register", "frank", "sip:frank@192.0.2.45");
        Assert.Contains("removed 1 binding", (await LocCtlAsync("rm", "frank")).Output);
    }

    [Fact]
    public async Task Bad_input_exits_2_with_the_proxys_reason()
    {
        var bad = await LocCtlAsync("register", "gina", "http://not-sip");

        Assert.Equal(2, bad.Code);
        Assert.Contains("not a sip: or sips: URI", bad.Error);
        Assert.DoesNotContain('\n', bad.Error.TrimEnd());
    }

    [Fact]
    public async Task Status_prints_nodes_groups_and_members_as_a_tree()
    {
        var status = await LocCtlAsync("status");

        Assert.True(status.Code == 0, status.Error);
        foreach (var port in cluster.Processes.Ports)
            Assert.Contains($"akka.tcp://location@127.0.0.1:{port}", status.Output);
        Assert.Contains("group 1", status.Output);
        Assert.Contains("group 2", status.Output);
        Assert.Contains("serving", status.Output);
        Assert.Contains(":***@127.0.0.1:", status.Output);
        Assert.DoesNotContain(cluster.Servers.Password, status.Output);
    }

    [Fact]
    public async Task Dump_writes_ndjson_and_a_table()
    {
        await LocCtlAsync("register", "hugo", "sip:hugo@192.0.2.77");

        var ndjson = await LocCtlAsync("dump", "--format", "ndjson");
        Assert.Equal(0, ndjson.Code);
        var lines = ndjson.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(lines, l => l.GetProperty("aor").GetString() == "hugo" && l.GetProperty("uri").GetString() == "sip:hugo@192.0.2.77");

        var table = await LocCtlAsync("dump", "--format", "table");
        Assert.Equal(0, table.Code);
        Assert.Contains(table.Output.Split('\n'), l => l.Contains("hugo") && l.Contains("sip:hugo@192.0.2.77"));
    }

    [Fact]
    public async Task Db_maintenance_and_activate_need_the_token()
    {
        var refused = await LocCtlAsync("db", "maintenance", "1", "2", "--token", "wrong");
        Assert.Equal(4, refused.Code);

        var maintenance = await LocCtlAsync("db", "maintenance", "1", "2", "--token", ProxiedCluster.AdminToken);
        Assert.True(maintenance.Code == 0, maintenance.Error);
        var activate = await LocCtlAsync("db", "activate", "1", "2", "--token", ProxiedCluster.AdminToken);
        Assert.True(activate.Code == 0, activate.Error);
        Assert.Equal(1, (await LocCtlAsync("db", "activate", "7", "1", "--token", ProxiedCluster.AdminToken)).Code); // no such member
    }

    [Fact]
    public async Task Hash_names_the_group_the_cluster_uses()
    {
        await LocCtlAsync("register", "ines", "sip:ines@192.0.2.88");
        var hash = await LocCtlAsync("hash", "ines", "--groups", "2");
        using var http = new HttpClient();
        var group = JsonDocument.Parse(await http.GetStringAsync($"{cluster.ProxyUrl}/v1/aors/ines")).RootElement.GetProperty("group").GetInt32();

        Assert.Equal(group.ToString(System.Globalization.CultureInfo.InvariantCulture), hash.Output.Trim());
    }
}
