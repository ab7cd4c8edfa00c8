using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using LocationActors.Chaos;
using LocationActors.Domain.LocDb;
using LocationActors.Storage;

var duration = new Option<int>("--duration") { Description = "seconds of load and faults", DefaultValueFactory = _ => 120 };
var seed = new Option<int>("--seed") { Description = "seed of the fault schedule and the load", DefaultValueFactory = _ => 1 };
var users = new Option<int>("--users") { Description = "users, each an independent client", DefaultValueFactory = _ => 300 };
var pause = new Option<int>("--pause-ms") { Description = "mean pause of a user between two operations", DefaultValueFactory = _ => 750 };
var kinds = new Option<string>("--faults")
{
    Description = $"fault kinds, comma-separated, out of {string.Join(",", Faults.All)} (default {string.Join(",", Faults.Kinds)}; mixed: {string.Join(",", Faults.MixedKinds)})",
};
var mixed = new Option<bool>("--mixed") { Description = "beside Kamailio p_usrloc on the same databases: shared-databases on, every other user a phone of Kamailio" };
var netns = new Option<bool>("--netns") { Description = "every node and proxy in a network namespace of its own (made by scripts/chaos.sh --netns); adds the partition fault" };
var kamailioPort = new Option<int>("--kamailio-port") { Description = "Kamailio's SIP port on 127.0.0.1 (with --mixed)", DefaultValueFactory = _ => 35062 };
var interval = new Option<int>("--fault-interval") { Description = "seconds between the starts of two faults", DefaultValueFactory = _ => 20 };
var root = new Option<string>("--root") { Description = "the repository (binaries and scripts/mariadb.sh)", DefaultValueFactory = _ => "." };
var logs = new Option<string>("--logs") { Description = "folder for the processes' logs", DefaultValueFactory = _ => Path.GetTempPath() };
var command = new RootCommand("LocationActors chaos run: load through a proxy, faults on a schedule, then the history checked")
{
    duration, seed, users, pause, kinds, interval, root, logs, mixed, kamailioPort, netns,
};
command.SetAction((result, ct) =>
{
    var isMixed = result.GetValue(mixed);
    var inNamespaces = result.GetValue(netns);
    var faults = result.GetValue(kinds) is { Length: > 0 } given
        ? given.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        : isMixed ? Faults.MixedKinds : inNamespaces ? [.. Faults.Kinds, "partition"] : Faults.Kinds;
    if (faults.Contains("partition") && !inNamespaces)
    {
        Console.Error.WriteLine("chaos: the partition fault needs --netns");
        return Task.FromResult(2);
    }
    if (faults.FirstOrDefault(f => !Faults.All.Contains(f)) is { } unknown)
    {
        Console.Error.WriteLine($"chaos: unknown fault '{unknown}'; known: {string.Join(", ", Faults.All)}");
        return Task.FromResult(2);
    }

    return Chaos.RunAsync(result.GetValue(duration), result.GetValue(seed), result.GetValue(users), TimeSpan.FromMilliseconds(result.GetValue(pause)),
        faults, result.GetValue(interval), Path.GetFullPath(result.GetValue(root)!), result.GetValue(logs)!,
        isMixed ? result.GetValue(kamailioPort) : null, inNamespaces, ct);
});
return await command.Parse(args).InvokeAsync();

namespace LocationActors.Chaos
{
    /// <summary>One chaos run, start to verdict. The master database URL comes from <c>LA_MASTER_DB_URL</c>.</summary>
    internal static class Chaos
    {
        private static readonly int[] NodePorts = [34053, 34054, 34055];
        private static readonly int[] HttpPorts = [38080, 38081];

        /// <param name="kamailioPort">A mixed run: Kamailio p_usrloc listens there, on the same databases.</param>
        /// <param name="netns">Every node and proxy in a network namespace of its own (scripts/chaos.sh --netns made them).</param>
        public static async Task<int> RunAsync(int seconds, int seed, int userCount, TimeSpan pause, IReadOnlyList<string> kinds, int faultInterval,
            string root, string logs, int? kamailioPort, bool netns, CancellationToken ct)
        {
            var master = DatabaseUrl.Parse(Environment.GetEnvironmentVariable("LA_MASTER_DB_URL")
                                           ?? throw new InvalidOperationException("LA_MASTER_DB_URL is not set"));
            Directory.CreateDirectory(logs);
            var nodeEnvironment = new Dictionary<string, string>
            {
                ["LA_MASTER_DB_URL"] = master.Original,
                ["LA_LOCDB_POLL_INTERVAL"] = "1s",
                ["LA_DB_RETRY_INTERVAL"] = "2s",
                ["LA_DB_COMMAND_TIMEOUT"] = "3s",
                // INFO: the groups log the spans in which they wrote, which the double-hosting check reads.
                ["LA_LOG_LEVEL"] = "INFO",
            };
            if (kamailioPort is not null)
                nodeEnvironment["LA_SHARED_DATABASES"] = "on";
            var adminToken = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            await using var deployment = new Deployment(root, logs, nodeEnvironment, NodePorts, HttpPorts,
                new Dictionary<string, string> { ["LA_ADMIN_TOKEN"] = adminToken }, netns);
            // Longer than the proxy's request timeout, which is what answers a request the cluster cannot answer yet.
            var proxies = deployment.Proxies.Select(proxy => new HttpClient { BaseAddress = deployment.ProxyUri(proxy), Timeout = TimeSpan.FromSeconds(40) }).ToList();
            foreach (var proxy in proxies)
                proxy.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminToken);
            deployment.StartAll();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var keepAlive = deployment.KeepAliveAsync(stop.Token);
            if (await UntilHealthyAsync(proxies, TimeSpan.FromSeconds(180)) is null)
            {
                Console.WriteLine("chaos: the deployment did not become healthy; see " + logs);
                return 2;
            }

            await Task.Delay(TimeSpan.FromSeconds(15), ct); // sharding moves groups while the nodes join
            Console.WriteLine($"chaos: {userCount} users (a pause of {pause.TotalMilliseconds:0} ms between two operations), {seconds} s, " +
                              $"a fault every {faultInterval} s out of {string.Join(",", kinds)}, seed {seed}" +
                              (kamailioPort is { } port ? $"; beside Kamailio p_usrloc on 127.0.0.1:{port}, which every other user registers and looks up through" : ""));

            var load = new Load(proxies, userCount, seed, pause, kamailioPort);
            using var loadStop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            var running = load.RunAsync(loadStop.Token);
            var faults = await Faults.RunAsync(deployment, new Random(seed), kinds, TimeSpan.FromSeconds(faultInterval), TimeSpan.FromSeconds(seconds),
                within => UntilHealthyAsync(proxies, within), (change, id, no) => LocDbAsync(proxies, change, id, no),
                group => NodeHostingAsync(proxies, group), Console.Out);
            await running;

            // Quiet: every member back, resynchronised and readable; then the final reads.
            if (await UntilHealthyAsync(proxies, TimeSpan.FromSeconds(180)) is null)
                Console.WriteLine("chaos: the deployment did not come back to health after the faults");
            var checker = new HistoryChecker();
            foreach (var user in load.Ops.GroupBy(o => o.User))
                checker.Replay(user);
            foreach (var user in Enumerable.Range(0, userCount).Select(Load.User).Where(u => checker.Users.Contains(u)))
            {
                var final = await FinalLookupAsync(() => load.LookupAsync(user), user, "");
                checker.Compare(user, final, "final lookup");
                if (kamailioPort is not null)
                    checker.Compare(user, await FinalLookupAsync(() => load.LookupThroughKamailioAsync(user), user, " through Kamailio"),
                        "final lookup through Kamailio");
            }

            await CheckMembersAsync(master, checker);
            await stop.CancelAsync();
            await keepAlive;

            var hosting = new HostingChecker();
            var runEnd = DateTime.UtcNow;
            foreach (var node in deployment.Nodes)
                hosting.Read(node, File.Exists(deployment.LogOf(node)) ? await File.ReadAllLinesAsync(deployment.LogOf(node)) : [],
                    deployment.KilledAt(node), runEnd);
            var doubleHosted = hosting.Findings();
            foreach (var finding in doubleHosted)
                Console.WriteLine($"chaos: {finding.Kind} {finding.User}: {finding.Detail}");

            var verdict = checker.Verdict();
            var ops = load.Ops;
            foreach (var kind in faults.Select(f => f.Kind).Distinct())
            {
                var windows = faults.Where(f => f.Kind == kind).ToList();
                var during = ops.Where(o => windows.Any(f => o.SentAt >= f.Start && o.SentAt <= f.End)).ToList();
                var answered = during.Count == 0 ? 1.0 : during.Count(o => o.Outcome != Outcome.Unknown) / (double)during.Count;
                var wait = during.Select(o => o.AnsweredAt - o.SentAt).DefaultIfEmpty(TimeSpan.Zero).Max();
                var recovery = windows.Select(f => f.End - f.Start).Max();
                Console.WriteLine(FormattableString.Invariant(
                    $"chaos: during {kind} ({windows.Count}x, longest until recovered {recovery.TotalSeconds:F1} s): {during.Count} ops, {answered * 100:F2}% answered, longest wait {wait.TotalMilliseconds:F0} ms"));
            }

            foreach (var finding in verdict.Findings.Take(20))
                Console.WriteLine($"chaos: {finding.Kind} {finding.User}: {finding.Detail}");
            if (verdict.Findings.Count > 0)
            {
                // Every finding, and each affected user's whole history, for the post-mortem.
                var path = Path.Combine(logs, "findings.txt");
                await File.WriteAllLinesAsync(path, verdict.Findings.Select(f => $"{f.Kind} {f.User}: {f.Detail}")
                    .Concat(verdict.Findings.Select(f => f.User).Distinct().Take(20).SelectMany(user => ops.Where(o => o.User == user)
                        .Select(o => FormattableString.Invariant($"{o.User} {o.SentAt:HH:mm:ss.fff} {o.AnsweredAt:HH:mm:ss.fff} {o.Kind} {o.Contact} {o.Outcome} {string.Join(",", o.Found ?? [])}")))));
                Console.WriteLine($"chaos: {verdict.Findings.Count} findings, with the histories of the users concerned, in {path}");
            }
            Console.WriteLine(FormattableString.Invariant(
                $"chaos: ops={verdict.Ops} acked={verdict.Acked} lost={verdict.Lost} wrong={verdict.Wrong} double_hosted={doubleHosted.Count} hosting_spans={hosting.Spans.Count} availability={verdict.Availability * 100:F2}% longest_gap_ms={verdict.LongestGap.TotalMilliseconds:F0}"));
            return verdict.Lost == 0 && verdict.Wrong == 0 && doubleHosted.Count == 0 ? 0 : 1;
        }

        /// <summary>
        /// Waits until every proxy answers and reports every node up, every group serving and every member on and
        /// readable — for 2 s in a row (four reads), so that one lucky read of a view that is being refreshed does
        /// not count. Returns when that healthy stretch began, or null when it did not come within the time given.
        /// </summary>
        private static async Task<DateTime?> UntilHealthyAsync(IReadOnlyList<HttpClient> proxies, TimeSpan within)
        {
            var deadline = Stopwatch.StartNew();
            DateTime? healthySince = null;
            while (deadline.Elapsed < within)
            {
                if (await IsHealthyAsync(proxies))
                {
                    healthySince ??= DateTime.UtcNow;
                    if (DateTime.UtcNow - healthySince >= TimeSpan.FromSeconds(2))
                        return healthySince;
                }
                else
                {
                    healthySince = null;
                }

                await Task.Delay(500);
            }

            return null;
        }

        private static async Task<bool> IsHealthyAsync(IReadOnlyList<HttpClient> proxies)
        {
            try
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                var states = await Task.WhenAll(proxies.Select(p => p.GetStringAsync("/v1/cluster", quick.Token)));
                return states.Select(state => JsonDocument.Parse(state).RootElement).All(cluster =>
                {
                    var groups = cluster.GetProperty("groups").EnumerateArray().ToList();
                    var members = groups.SelectMany(g => g.GetProperty("members").EnumerateArray()).Where(m => !m.GetProperty("spare").GetBoolean()).ToList();
                    var nodes = cluster.GetProperty("nodes").EnumerateArray().ToList();
                    // A problem (a read that failed) is written only when there is one.
                    return !cluster.TryGetProperty("problem", out _) && groups.Count > 0 &&
                           groups.All(g => g.GetProperty("state").GetString() == "serving" && !g.TryGetProperty("problem", out _)) &&
                           members.All(m => m.GetProperty("active").GetBoolean() && m.GetProperty("readable").GetBoolean()) &&
                           nodes.Count == NodePorts.Length && nodes.All(n => n.GetProperty("status").GetString() == "Up");
                });
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                return false;
            }
        }

        /// <summary>The node hosting a group, as the first proxy that answers sees it ("node-PORT"); null when none does.</summary>
        private static async Task<string?> NodeHostingAsync(IReadOnlyList<HttpClient> proxies, int groupId)
        {
            foreach (var proxy in proxies)
            {
                try
                {
                    var cluster = JsonDocument.Parse(await proxy.GetStringAsync("/v1/cluster")).RootElement;
                    var node = cluster.GetProperty("groups").EnumerateArray().FirstOrDefault(g => g.GetProperty("id").GetInt32() == groupId);
                    if (node.ValueKind != JsonValueKind.Undefined && node.TryGetProperty("node", out var address) && address.GetString() is { } text)
                        return "node-" + text[(text.LastIndexOf(':') + 1)..];
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
                {
                    // the next proxy
                }
            }

            return null;
        }

        /// <summary>A lookup after the run, tried for up to 30 s until it is answered.</summary>
        private static async Task<IReadOnlyList<string>> FinalLookupAsync(Func<Task<Op>> lookup, string user, string through)
        {
            for (var attempt = 0; attempt < 60; attempt++)
            {
                if (await lookup() is { Outcome: Outcome.Acked, Found: { } found })
                    return found;
                await Task.Delay(500);
            }

            throw new InvalidOperationException($"{user} could not be looked up{through} after the run");
        }

        /// <summary>An operator's <c>locctl db maintenance|activate</c>, through the first proxy that answers.</summary>
        private static async Task LocDbAsync(IReadOnlyList<HttpClient> proxies, string change, int id, int no)
        {
            for (var attempt = 0; attempt < 20; attempt++)
            {
                foreach (var proxy in proxies)
                {
                    try
                    {
                        using var response = await proxy.PostAsync($"/v1/locdb/{id}/{no}/{change}", null);
                        if (response.IsSuccessStatusCode)
                            return;
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        // the next proxy, or a moment later
                    }
                }

                await Task.Delay(500);
            }

            throw new InvalidOperationException($"locdb {change} of ({id},{no}) did not go through");
        }

        /// <summary>Every member database that is on holds, for each user of its group, exactly what the history allows.</summary>
        private static async Task CheckMembersAsync(DatabaseUrl masterUrl, HistoryChecker checker)
        {
            await using var master = new MasterDatabase(masterUrl);
            var rows = await master.ReadAllAsync();
            var groupCount = rows.Where(r => r.Status == LocDbStatus.On).Max(r => r.Id);
            foreach (var row in rows.Where(r => r.Status == LocDbStatus.On && !r.Spare && r.No <= 2))
            {
                await using var member = new LocationDatabase(DatabaseUrl.Parse(row.Url));
                await MemberCheck.CompareAsync(member, $"member ({row.Id},{row.No})",
                    checker.Users.Where(u => Domain.Partitioning.Partitioner.GroupOf(u, groupCount) == row.Id).ToList(), checker);
            }
        }
    }
}
