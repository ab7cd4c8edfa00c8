using System.CommandLine;
using System.Globalization;
using Akka.Configuration;
using LocationActors.Domain.Encoding;
using LocationActors.Domain.LocDb;
using LocationActors.Cluster.Hosting;
using LocationActors.Node.Check;
using Akka.Actor;
using LocationActors.Node.Configuration;
using LocationActors.Node.Hosting;
using LocationActors.Node.Init;
using LocationActors.Storage;

namespace LocationActors.Node;

/// <summary>
/// The node's command line. Exit codes: 0 done, 1 the check found problems (or usage error), 2 configuration or
/// master database unusable.
/// </summary>
public static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var configOption = new Option<string?>("--config", "-c") { Description = $"HOCON file (default: hocon/node.hocon next to the binary, or ${NodeConfig.PathVariable})" };
        var check = new Command("check", "read locdb, print the layout the node would serve and probe every active member database")
        {
            configOption,
        };
        check.SetAction((result, ct) => CheckAsync(result.GetValue(configOption), output, error, ct));

        var runConfig = new Option<string?>("--config", "-c") { Description = configOption.Description };
        var run = new Command("run", "join the cluster and serve location groups until stopped (Ctrl-C or SIGTERM)") { runConfig };
        run.SetAction((result, _) => RunAsync(result.GetValue(runConfig), output, error));

        var initConfig = new Option<string?>("--config", "-c") { Description = configOption.Description };
        var groupOption = new Option<string[]>("--group", "-g")
        {
            Description = "one group's member database URLs, comma-separated, in locdb.no order; repeat for groups 1, 2, ...",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var init = new Command("init", "create the master's tables and seed locdb with the given groups (left alone when it has rows), and the members' location tables")
        {
            initConfig, groupOption,
        };
        init.SetAction((result, ct) => InitAsync(result.GetValue(initConfig), result.GetValue(groupOption) ?? [], output, error, ct));

        var root = new RootCommand("LocationActors cluster node") { run, check, init };
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    private static async Task<int> RunAsync(string? configPath, TextWriter output, TextWriter error)
    {
        NodeHost host;
        try
        {
            var config = NodeConfig.Load(configPath);
            host = await NodeHost.StartAsync(NodeSettings.FromConfig(config), config);
        }
        catch (Exception e) when (e is ConfigurationException or StorageException)
        {
            error.WriteLine($"node: {e.Message}");
            return 2;
        }

        var self = Akka.Cluster.Cluster.Get(host.System).SelfAddress;
        ParentWatchdog.Start(host.System, "node", error);
        output.WriteLine($"node: {self} started, metrics and health on http://{host.Http}; Ctrl-C stops it");
        // Ctrl-C and SIGTERM stop the host, whose actor system leaves the cluster gracefully (groups hand over); a node
        // that is downed ends its actor system, and the process with it.
        using var signals = StopSignals.Register(host.RequestStop);
        await Task.WhenAny(host.WaitForShutdownAsync(), host.System.WhenTerminated);
        await host.DisposeAsync();
        await host.System.WhenTerminated;
        output.WriteLine($"node: {self} stopped");
        return 0;
    }

    private static async Task<int> InitAsync(string? configPath, string[] groups, TextWriter output, TextWriter error, CancellationToken ct)
    {
        try
        {
            var settings = LocationSettings.FromConfig(NodeConfig.Load(configPath));
            var members = groups.Select(g => (IReadOnlyList<DatabaseUrl>)g.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(DatabaseUrl.Parse).ToList()).ToList();
            if (members.Count == 0 || members.Any(g => g.Count == 0))
            {
                await error.WriteLineAsync("node: every --group needs at least one member URL");
                return 2;
            }

            foreach (var line in await LayoutInit.RunAsync(settings.MasterDbUrl, members, settings.Storage, settings.LocDbTable, ct))
                await output.WriteLineAsync($"node: {line}");
            return 0;
        }
        catch (Exception e) when (e is ConfigurationException or StorageException or FormatException)
        {
            await error.WriteLineAsync($"node: {e.Message}");
            return 2;
        }
    }

    private static async Task<int> CheckAsync(string? configPath, TextWriter output, TextWriter error, CancellationToken ct)
    {
        LocationSettings settings;
        LayoutReport report;
        try
        {
            settings = LocationSettings.FromConfig(NodeConfig.Load(configPath));
            report = await LayoutCheck.RunAsync(settings, ct);
        }
        catch (Exception e) when (e is ConfigurationException or StorageException or InvalidOperationException)
        {
            error.WriteLine($"node: {e.Message}");
            return 2;
        }

        Print(settings, report, output);
        foreach (var problem in report.Problems)
            error.WriteLine($"problem: {problem}");
        return report.Healthy ? 0 : 1;
    }

    /// <summary>The layout as a tree: groups, then their member databases with state, like p_usrloc's old dump.</summary>
    private static void Print(LocationSettings settings, LayoutReport report, TextWriter output)
    {
        var times = settings.Storage.Times;
        output.WriteLine(
            $"master {settings.MasterDbUrl}: {report.Layout.GroupCount} location groups, {settings.MembersPerGroup} members per group");
        foreach (var (id, members) in report.Groups)
        {
            output.WriteLine($"group {id}");
            foreach (var m in members)
            {
                var role = m.IsMember ? "member" : m.Row.Spare ? "spare " : "parked";
                var state = m.Rows is { } rows ? $"ok, {rows} rows" : m.Error is { } e ? $"FAILED {e}" : "not probed";
                output.WriteLine(
                    $"  no={m.Row.No} {role} {DatabaseUrl.Mask(m.Row.Url)} status={Status(m.Row.Status)} errors={m.Row.Errors} failover={Failover(m.Row.Failover, times)} rg={m.Row.RiskGroup}: {state}");
            }
        }
    }

    private static string Status(LocDbStatus status) => status switch
    {
        LocDbStatus.On => "on",
        LocDbStatus.Off => "off",
        LocDbStatus.Maintenance => "maintenance",
        _ => ((int)status).ToString(CultureInfo.InvariantCulture),
    };

    private static string Failover(long failover, DbTimeCodec times) => LocDbRow.IsReset(failover) ? "-" : times.ToDbText(failover);
}
