namespace LocationActors.Chaos;

/// <summary>One fault as it happened: its kind, its target, and its window, from the fault to the deployment's recovery.</summary>
public sealed record FaultWindow(string Kind, string Target, DateTime Start, DateTime End);

/// <summary>
/// The fault schedule: every interval, one fault chosen by the seed — SIGKILL a node (started again after a few
/// seconds, as a supervisor would), SIGSTOP a node for a while around the failure detection and downing times (then
/// SIGCONT; a node the cluster downed meanwhile ends and is started again), kill a member's MariaDB server and start
/// it again, freeze one (SIGSTOP/SIGCONT), take the master database away, restart a proxy, put a member into
/// maintenance and activate it again (as an operator does with <c>locctl db</c>), or two of them together
/// (<c>compound</c>, in turn: a node killed while the master is away; a member's server killed, then the node hosting
/// a group of it; a member's server frozen while a node is paused), or, with every process in a network namespace of
/// its own (<c>--netns</c>), cut the network for 12 s (<c>partition</c>, in turn: a node isolated from the other
/// nodes; its packets to them lost, one way; a proxy cut from a node; a member's server unreachable from one node
/// only). One fault (or compound) at a time: the
/// next one waits until the deployment has recovered from the last (every node up, every group serving, every member
/// on and readable), so a majority of nodes always remains — with two nodes left, keep-majority cannot tell which side
/// should survive.
/// </summary>
public static class Faults
{
    /// <summary>The port of MariaDB instance <paramref name="instance"/> of <c>scripts/mariadb.sh</c> (LA_DB_BASE_PORT + n - 1).</summary>
    private static int DatabasePort(int instance) =>
        int.Parse(Environment.GetEnvironmentVariable("LA_DB_BASE_PORT") ?? "3457", System.Globalization.CultureInfo.InvariantCulture) + instance - 1;

    /// <summary>The faults of a run unless <c>--faults</c> says otherwise.</summary>
    public static readonly string[] Kinds = ["kill-node", "pause-node", "kill-db", "freeze-db", "master-away", "restart-proxy", "compound"];

    /// <summary>The faults of a mixed run (beside Kamailio) unless <c>--faults</c> says otherwise: a member's return, three ways.</summary>
    public static readonly string[] MixedKinds = ["maintenance", "kill-db", "freeze-db"];

    /// <summary>Every fault kind there is.</summary>
    public static readonly string[] All = [.. Kinds, "maintenance", "partition"];

    /// <summary>The partitions (<c>--netns</c> only), taken in turn each time <c>partition</c> comes up.</summary>
    public static readonly string[] Partitions = ["isolate-node", "one-way-loss", "proxy-cut", "member-cut"];

    /// <summary>The compound faults, taken in turn each time <c>compound</c> comes up.</summary>
    public static readonly string[] Compounds = ["master-away+kill-node", "kill-db+kill-node", "freeze-db+pause-node"];

    /// <param name="locdb">Runs an admin command on a member through a proxy: "maintenance" or "activate", group id, no.</param>
    /// <param name="nodeHosting">The node (its name) hosting a group, as the proxies see it; null when none does now.</param>
    public static async Task<IReadOnlyList<FaultWindow>> RunAsync(Deployment deployment, Random random, IReadOnlyList<string> kinds, TimeSpan interval,
        TimeSpan duration, Func<TimeSpan, Task<DateTime?>> untilRecovered, Func<string, int, int, Task> locdb, Func<int, Task<string?>> nodeHosting,
        TextWriter log)
    {
        var compounds = 0;
        var partitions = 0;
        var windows = new List<FaultWindow>();
        var until = DateTime.UtcNow + duration;
        var order = kinds.OrderBy(_ => random.Next()).ToList();
        var round = 0;
        while (DateTime.UtcNow + interval <= until)
        {
            var next = DateTime.UtcNow + interval;
            var kind = order[round++ % order.Count];
            var node = deployment.Nodes[random.Next(deployment.Nodes.Count)];
            var proxy = deployment.Proxies[random.Next(deployment.Proxies.Count)];
            var instance = random.Next(1, 3); // members live on instances 1 and 2; the master on 3
            var (group, no) = (random.Next(1, 3), random.Next(1, 3));
            var held = TimeSpan.FromSeconds(kind switch { "kill-node" => random.Next(2, 11), "pause-node" => random.Next(4, 13), "restart-proxy" => 1, _ => 8 });
            var start = DateTime.UtcNow;
            if (kind == "partition")
            {
                if (deployment.Network is null)
                    throw new ArgumentException("the partition fault needs --netns (every process in a network namespace of its own)");
                kind = Partitions[partitions++ % Partitions.Length];
                held = TimeSpan.FromSeconds(12); // beyond failure detection and stable-after: the cluster acts on it
            }

            if (kind == "compound")
            {
                kind = Compounds[compounds++ % Compounds.Length];
                if (kind == "kill-db+kill-node") // the node that hosts a group of the member killed (every group has one on each)
                    node = await nodeHosting(group) ?? node;
            }

            var target = kind switch
            {
                "kill-node" or "pause-node" => node,
                "kill-db" or "freeze-db" => $"mariadb {instance}",
                "master-away" => "mariadb 3",
                "maintenance" => $"member ({group},{no})",
                "master-away+kill-node" => $"mariadb 3 and {node}",
                "kill-db+kill-node" => $"mariadb {instance} and {node} (hosting group {group})",
                "freeze-db+pause-node" => $"mariadb {instance} and {node}",
                "isolate-node" => $"{node} from the other nodes",
                "one-way-loss" => $"{node}'s packets to the other nodes",
                "proxy-cut" => $"{proxy} from {node}",
                "member-cut" => $"mariadb {instance} from {node} only",
                _ => proxy,
            };
            await log.WriteLineAsync($"chaos: {start:HH:mm:ss} {kind} {target} for {held.TotalSeconds:0} s");
            switch (kind)
            {
                case "kill-node":
                case "restart-proxy":
                    deployment.Kill(target);
                    await Task.Delay(held);
                    deployment.Release(target);
                    break;
                case "pause-node":
                    deployment.Signal(node, "STOP");
                    await Task.Delay(held);
                    deployment.Signal(node, "CONT");
                    break;
                case "kill-db":
                case "master-away":
                    await deployment.DatabaseAsync("kill", kind == "master-away" ? 3 : instance);
                    await Task.Delay(held);
                    await deployment.DatabaseAsync("start", kind == "master-away" ? 3 : instance);
                    break;
                case "maintenance":
                    await locdb("maintenance", group, no);
                    await Task.Delay(held);
                    await locdb("activate", group, no);
                    break;
                case "freeze-db":
                    await deployment.DatabaseAsync("freeze", instance);
                    await Task.Delay(held);
                    await deployment.DatabaseAsync("thaw", instance);
                    break;
                case "master-away+kill-node":
                case "kill-db+kill-node":
                    // The database goes first; the node dies while it is away, and comes back before it does.
                    var database = kind == "master-away+kill-node" ? 3 : instance;
                    await deployment.DatabaseAsync("kill", database);
                    await Task.Delay(TimeSpan.FromSeconds(3));
                    deployment.Kill(node);
                    await Task.Delay(held);
                    deployment.Release(node);
                    await Task.Delay(TimeSpan.FromSeconds(3));
                    await deployment.DatabaseAsync("start", database);
                    break;
                case "isolate-node":
                case "one-way-loss":
                    await deployment.Network!.CutAsync(node, deployment.Nodes.Where(n => n != node), outgoingOnly: kind == "one-way-loss");
                    await Task.Delay(held);
                    await deployment.Network.HealAsync(node);
                    break;
                case "proxy-cut":
                    await deployment.Network!.CutAsync(proxy, [node]);
                    await Task.Delay(held);
                    await deployment.Network.HealAsync(proxy);
                    break;
                case "member-cut":
                    await deployment.Network!.CutDatabaseAsync(node, DatabasePort(instance));
                    await Task.Delay(held);
                    await deployment.Network.HealAsync(node);
                    break;
                case "freeze-db+pause-node":
                    await deployment.DatabaseAsync("freeze", instance);
                    deployment.Signal(node, "STOP");
                    await Task.Delay(held);
                    deployment.Signal(node, "CONT");
                    await deployment.DatabaseAsync("thaw", instance);
                    break;
                default:
                    throw new ArgumentException($"unknown fault '{kind}'; known: {string.Join(", ", All)}");
            }

            // The proxies' view lags the fault by failure detection (about 4 s) and a refresh: a view read too soon
            // still shows the cluster as it was before the fault.
            await Task.Delay(TimeSpan.FromSeconds(6));
            var recovered = await untilRecovered(TimeSpan.FromSeconds(120));
            windows.Add(new FaultWindow(kind, target, start, recovered ?? DateTime.UtcNow));
            await log.WriteLineAsync(recovered is { } at
                ? $"chaos: {at:HH:mm:ss} recovered {(at - start).TotalSeconds:0.0} s after the {kind}"
                : $"chaos: {DateTime.UtcNow:HH:mm:ss} NOT recovered 120 s after the {kind}");
            var rest = next - DateTime.UtcNow;
            if (rest > TimeSpan.Zero)
                await Task.Delay(rest);
        }

        return windows;
    }
}
