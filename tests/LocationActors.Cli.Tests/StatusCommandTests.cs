using LocationActors.TestSupport;

namespace LocationActors.Cli.Tests;

[Trait(Tier.Name, Tier.Unit)]
public class StatusCommandTests
{
    private const string Cluster = """
        {
          "nodes": [{"address": "akka.tcp://location@127.0.0.1:4053", "status": "Up", "roles": ["location"]},
                    {"address": "akka.tcp://location@127.0.0.1:4054", "status": "Joining", "roles": ["location", "proxy"]}],
          "locdbKnown": true,
          "masterDown": false,
          "domains": [{"table": "location", "partitioned": true, "groupCount": 2}],
          "groups": [
            {"table": "location", "id": 1, "node": "akka.tcp://location@127.0.0.1:4053", "state": "serving",
             "aors": 10, "contacts": 12, "membersTurnedOff": 0, "resyncs": 0,
             "members": [
               {"no": 1, "url": "mysql://kamailio:***@db1/loc_g1", "status": "on", "errors": 0,
                "failover": null, "spare": false, "riskGroup": 1, "active": true, "readable": true},
               {"no": 2, "url": "mysql://kamailio:***@db2/loc_g1", "status": "off", "errors": 7,
                "failover": "2026-11-26T13:05:00Z", "spare": true, "riskGroup": 2, "active": false, "readable": false}
             ]},
            {"table": "location", "id": 2, "node": "akka.tcp://location@127.0.0.1:4054", "state": "unavailable",
             "members": [
               {"no": 1, "url": "mysql://kamailio:***@db3/loc_g2", "status": "maintenance", "errors": 1,
                "failover": null, "spare": false, "riskGroup": 1, "active": false, "readable": false}
             ]}
          ]
        }
        """;

    [Fact]
    public async Task Prints_nodes_groups_and_members_as_a_tree()
    {
        await using var proxy = await FakeProxy.StartAsync(200, Cluster);

        var (code, output, error) = await Cli.RunAsync("status", "--url", proxy.Url);

        Assert.Equal((0, ""), (code, error));
        Assert.Equal(("GET", "/v1/cluster"), (proxy.Request.Method, proxy.Request.Target));
        var lines = Cli.Lines(output);
        Assert.Equal($"cluster via {proxy.Url}", lines[0]);
        Assert.Contains(lines, l => l.EndsWith("akka.tcp://location@127.0.0.1:4053 Up roles=location"));
        Assert.Contains(lines, l => l.EndsWith("akka.tcp://location@127.0.0.1:4054 Joining roles=location,proxy"));
        Assert.Contains(lines, l => l.EndsWith("table location: partitioned, 2 group(s)"));

        var group1 = Index(lines, "group 1 (location) on akka.tcp://location@127.0.0.1:4053: serving, 10 AORs, 12 contacts");
        var member1 = Index(lines, "no 1 mysql://kamailio:***@db1/loc_g1 on errors=0 failover=- active readable");
        var member2 = Index(lines, "no 2 mysql://kamailio:***@db2/loc_g1 off errors=7 failover=2026-11-26T13:05:00Z spare");
        var group2 = Index(lines, "group 2 (location) on akka.tcp://location@127.0.0.1:4054: unavailable");
        var member3 = Index(lines, "no 1 mysql://kamailio:***@db3/loc_g2 maintenance errors=1 failover=-");
        Assert.True(group1 < member1 && member1 < member2 && member2 < group2 && group2 < member3);

        // Members hang under their group: one level deeper.
        Assert.True(Indent(lines[member1]) > Indent(lines[group1]));
        Assert.Equal(Indent(lines[member1]), Indent(lines[member2]));
        Assert.Equal(Indent(lines[group1]), Indent(lines[group2]));

        Assert.DoesNotContain("warning", output);
        Assert.DoesNotContain('\u001b', output); // plain text when stdout is not a terminal
    }

    [Fact]
    public async Task Warns_when_the_master_is_down_or_locdb_is_unknown()
    {
        await using var proxy = await FakeProxy.StartAsync(200, """{"nodes": [], "locdbKnown": false, "masterDown": true, "domains": [], "groups": []}""");

        var (code, output, _) = await Cli.RunAsync("status", "--url", proxy.Url);

        Assert.Equal(0, code);
        Assert.Contains("warning: the cluster has not read locdb yet", output);
        Assert.Contains("warning: the master database (locdb) does not answer", output);
        Assert.Contains("nodes (0)", output);
    }

    private static int Index(string[] lines, string text)
    {
        var index = Array.FindIndex(lines, l => l.EndsWith(text));
        Assert.True(index >= 0, $"no line ends with '{text}' in:\n{string.Join('\n', lines)}");
        return index;
    }

    // The tree's guides are box-drawing characters; the text starts after them.
    private static int Indent(string line) => line.Length - line.TrimStart(' ', '│', '├', '└', '─').Length;
}
