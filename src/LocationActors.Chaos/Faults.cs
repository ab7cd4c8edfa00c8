namespace LocationActors.Chaos;

/// <summary>One fault as it happened: its kind, its target and its window.</summary>
public sealed record FaultWindow(string Kind, string Target, DateTime Start, DateTime End);

/// <summary>
/// The fault schedule: every interval, one fault chosen by the seed — SIGKILL a node (started again after a while),
/// SIGSTOP a node longer than failure detection (then SIGCONT; if it was downed meanwhile it ends and is started
/// again), kill a member's MariaDB server and start it again, freeze one (SIGSTOP/SIGCONT), take the master database
/// away, restart the proxy. One fault at a time, so a majority of nodes always remains.
/// </summary>
public static class Faults
{
    private static readonly string[] Kinds = ["kill-node", "pause-node", "kill-db", "freeze-db", "master-away", "restart-proxy"];

    public static async Task<IReadOnlyList<FaultWindow>> RunAsync(Deployment deployment, Random random, TimeSpan interval, TimeSpan duration, TextWriter log)
    {
        var windows = new List<FaultWindow>();
        var until = DateTime.UtcNow + duration;
        var order = Kinds.OrderBy(_ => random.Next()).ToList();
        var round = 0;
        while (DateTime.UtcNow + interval <= until)
        {
            var next = DateTime.UtcNow + interval;
            var kind = order[round++ % order.Count];
            var node = deployment.Nodes[random.Next(deployment.Nodes.Count)];
            var instance = random.Next(1, 3); // members live on instances 1 and 2; the master on 3
            var start = DateTime.UtcNow;
            var target = kind switch { "kill-node" or "pause-node" => node, "kill-db" or "freeze-db" => $"mariadb {instance}", "master-away" => "mariadb 3", _ => "proxy" };
            await log.WriteLineAsync($"chaos: {start:HH:mm:ss} {kind} {target}");
            switch (kind)
            {
                case "kill-node":
                    deployment.Kill(node);
                    await Task.Delay(TimeSpan.FromSeconds(10));
                    deployment.Release(node);
                    break;
                case "pause-node":
                    deployment.Signal(node, "STOP");
                    await Task.Delay(TimeSpan.FromSeconds(8));
                    deployment.Signal(node, "CONT");
                    break;
                case "kill-db":
                    await deployment.DatabaseAsync("kill", instance);
                    await Task.Delay(TimeSpan.FromSeconds(8));
                    await deployment.DatabaseAsync("start", instance);
                    break;
                case "freeze-db":
                    await deployment.DatabaseAsync("freeze", instance);
                    await Task.Delay(TimeSpan.FromSeconds(8));
                    await deployment.DatabaseAsync("thaw", instance);
                    break;
                case "master-away":
                    await deployment.DatabaseAsync("kill", 3);
                    await Task.Delay(TimeSpan.FromSeconds(10));
                    await deployment.DatabaseAsync("start", 3);
                    break;
                default:
                    deployment.Kill("proxy");
                    deployment.Release("proxy");
                    break;
            }

            windows.Add(new FaultWindow(kind, target, start, DateTime.UtcNow));
            var rest = next - DateTime.UtcNow;
            if (rest > TimeSpan.Zero)
                await Task.Delay(rest);
        }

        return windows;
    }
}
