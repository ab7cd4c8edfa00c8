using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using LocationActors.Contracts.Http;

namespace LocationActors.Bench;

/// <summary>
/// The node hosting a group killed under steady SIP load, counted the way a phone and a caller see it: lookups
/// (INVITE, a 302 with the stored contact expected) and new registrations (REGISTER, 200 expected) at fixed rates, open
/// loop, from one UDP socket that retransmits as RFC 3261 clients do (timers A/E from T1 = 500 ms, E capped at
/// T2 = 4 s, given up after 64·T1 = 32 s: timers B/F). After <c>killAfter</c> the node the proxy reports for the group
/// is SIGKILLed (its PID from the deployment's <c>node-PORT.pid</c>). The proxy's <c>GET /v1/cluster</c> is polled to
/// time when the cluster downed the node and when the group served again; node and proxy RSS are sampled. Prints a
/// timeline in 5 s steps and one summary line (bench/failover.sh).
/// </summary>
public static class FailoverLoad
{
    private const int T1 = 500;
    private const int T2 = 4_000;
    private const int GiveUpMs = 64 * T1;

    public sealed record Settings(IPEndPoint Target, Uri ProxyHttp, string PidDir, IReadOnlyList<string> Stored, int LookupRate, int RegisterRate,
        TimeSpan Duration, TimeSpan KillAfter, int Group, string? TracePath = null);

    private sealed class Transaction(string callId, bool lookup, string user, byte[] request, long sentAt)
    {
        public string CallId { get; } = callId;
        public bool Lookup { get; } = lookup;
        public string User { get; } = user;
        public byte[] Request { get; } = request;
        public long SentAt { get; } = sentAt;
        public long NextSendAt { get; set; } = sentAt + Ms(T1);
        public int IntervalMs { get; set; } = T1;
        public volatile bool Provisional;
        public int Status { get; set; } // 0: no final answer within 32 s
        public long AnsweredAt { get; set; }
        public bool Right { get; set; }
        public double Seconds => ((AnsweredAt == 0 ? SentAt + Ms(GiveUpMs) : AnsweredAt) - SentAt) / (double)Stopwatch.Frequency;
    }

    /// <summary>What the cluster view showed, in seconds from the start.</summary>
    private sealed class Observed
    {
        public double? KilledAt;
        public string? Victim;
        public double? DownedAt;
        public double? ServesAgainAt;
        public double? LoadedAt;
        public long NodesRssMaxKb;
        public long ProxyRssMaxKb;
        public long VictimRssKb;
    }

    public static async Task<int> RunAsync(Settings settings, TextWriter output, CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.ReceiveBufferSize = 8 << 20;
        socket.Bind(new IPEndPoint(settings.Target.Address, 0));
        socket.Connect(settings.Target);
        var local = (IPEndPoint)socket.LocalEndPoint!;
        var outstanding = new ConcurrentDictionary<string, Transaction>();
        var all = new List<Transaction>();
        using var http = new HttpClient { BaseAddress = settings.ProxyHttp, Timeout = TimeSpan.FromSeconds(2) };
        await UntilEveryGroupServesAsync(http, output, ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var receiver = new Thread(() => Receive(socket, outstanding, stop.Token)) { IsBackground = true, Name = "failover-receive" };
        receiver.Start();

        var start = Stopwatch.GetTimestamp();
        var observed = new Observed();
        var watching = WatchAsync(http, settings, observed, start, stop.Token);
        var runId = Environment.ProcessId.ToString("x", CultureInfo.InvariantCulture) + start.ToString("x", CultureInfo.InvariantCulture);
        var random = new Random(7);
        var (lookups, registers) = (0, 0);
        var lastRetransmitScan = start;
        var end = start + (long)(settings.Duration.TotalSeconds * Stopwatch.Frequency);
        while (!ct.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            var sending = now < end;
            var elapsed = (now - start) / (double)Stopwatch.Frequency;
            while (sending && lookups < elapsed * settings.LookupRate)
            {
                var user = settings.Stored[random.Next(settings.Stored.Count)];
                var callId = $"{runId}-i{lookups}";
                Send(new Transaction(callId, true, user, SipText.Invite(user, callId, local, $"fo{lookups}"), Stopwatch.GetTimestamp()));
                lookups++;
            }

            while (sending && registers < elapsed * settings.RegisterRate)
            {
                var user = $"fo{runId}{registers:D7}";
                var callId = $"{runId}-r{registers}";
                Send(new Transaction(callId, false, user, SipText.Register(user, callId, local, settings.Target, "fo", cseq: 1, "failover-load"), Stopwatch.GetTimestamp()));
                registers++;
            }

            if (now - lastRetransmitScan > Ms(20))
            {
                lastRetransmitScan = now;
                foreach (var transaction in outstanding.Values)
                {
                    if (now < transaction.NextSendAt)
                        continue;
                    if (now - transaction.SentAt >= Ms(GiveUpMs))
                    {
                        outstanding.TryRemove(transaction.CallId, out _); // timer B/F: no final answer
                        continue;
                    }

                    // An INVITE stops retransmitting once a provisional answer came (timer A); a REGISTER keeps on, at T2
                    // once provisionally answered (timer E).
                    if (transaction.Lookup && transaction.Provisional)
                    {
                        transaction.NextSendAt = long.MaxValue;
                        continue;
                    }

                    transaction.IntervalMs = transaction.Lookup ? transaction.IntervalMs * 2 : transaction.Provisional ? T2 : Math.Min(transaction.IntervalMs * 2, T2);
                    transaction.NextSendAt = now + Ms(transaction.IntervalMs);
                    TrySend(socket, transaction.Request);
                }
            }

            if (!sending && outstanding.IsEmpty)
                break;
            Thread.Sleep(1);
        }

        await stop.CancelAsync();
        socket.Close();
        receiver.Join();
        await watching;
        var lost = await CountLostAsync(http, all.Where(t => !t.Lookup && t.Right).Select(t => t.User).ToList(), ct);
        Report(all, observed, lost, output);
        if (settings.TracePath is { } trace)
            await File.WriteAllLinesAsync(trace, all.Select(t => FormattableString.Invariant(
                $"{(t.SentAt - start) / (double)Stopwatch.Frequency:0.000},{(t.Lookup ? "INVITE" : "REGISTER")},{t.User},{t.Status},{t.Seconds:0.000}")), ct);
        return 0;

        void Send(Transaction transaction)
        {
            all.Add(transaction);
            outstanding[transaction.CallId] = transaction;
            TrySend(socket, transaction.Request);
        }
    }

    private static void TrySend(Socket socket, byte[] request)
    {
        try
        {
            socket.Send(request);
        }
        catch (SocketException)
        {
            // "port unreachable" from an earlier datagram: the retransmission timer sends it again.
        }
    }

    /// <summary>The load starts on a settled deployment: every group loaded (not only answering while it loads), every member readable (compared with the loaded one).</summary>
    private static async Task UntilEveryGroupServesAsync(HttpClient http, TextWriter output, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var cluster = await http.GetFromJsonAsync<ClusterJson>("/v1/cluster", ct);
                if (cluster is { Groups.Count: > 0 } && cluster.Groups.All(g => g.State == "serving" && g.Members.All(m => m.Readable)))
                {
                    output.WriteLine($"every group serving from memory, every member readable, after {clock.Elapsed.TotalSeconds:F0} s more: " +
                                     string.Join(", ", cluster.Groups.Select(g => $"group {g.Id} on {g.Node} with {g.Contacts:N0} contacts")));
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // not answering yet
            }

            if (clock.Elapsed > TimeSpan.FromMinutes(20))
                throw new TimeoutException("the groups did not all serve within 20 minutes");
            await Task.Delay(1_000, ct);
        }
    }

    /// <summary>Looks up every acknowledged registration once the load is over: the ones not found were lost.</summary>
    private static async Task<int> CountLostAsync(HttpClient http, IReadOnlyList<string> users, CancellationToken ct)
    {
        var lost = 0;
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (user, token) =>
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    using var response = await http.GetAsync($"/v1/aors/{user}", token);
                    if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound)
                    {
                        var found = response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<AorJson>(token) : null;
                        if (found is null || found.Contacts.Count == 0)
                            Interlocked.Increment(ref lost);
                        return;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !token.IsCancellationRequested)
                {
                    // no answer this time
                }

                if (attempt == 5)
                    throw new InvalidOperationException($"{user} could not be looked up after the run");
                await Task.Delay(1_000, token);
            }
        });
        return lost;
    }

    private static void Report(List<Transaction> all, Observed observed, int lost, TextWriter output)
    {
        var killedAt = observed.KilledAt ?? double.NaN;
        // Seen as not Up, or else (a restarted node back at the same address before a poll saw it gone) when its group
        // served elsewhere, which only a downing allows: at the latest then.
        var downedAt = Math.Min(observed.DownedAt ?? double.PositiveInfinity, observed.ServesAgainAt ?? double.PositiveInfinity);
        double At(Transaction t) => (t.SentAt - all[0].SentAt) / (double)Stopwatch.Frequency;
        output.WriteLine($"| from kill, s | lookups | failed | slowest s | REGISTERs | failed | slowest s |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var step in all.GroupBy(t => (int)Math.Floor((At(t) - killedAt) / 5)).OrderBy(g => g.Key))
        {
            var (l, r) = (step.Where(t => t.Lookup).ToList(), step.Where(t => !t.Lookup).ToList());
            output.WriteLine(FormattableString.Invariant(
                $"| {step.Key * 5:+0;-0} | {l.Count} | {l.Count(t => !t.Right)} | {(l.Count > 0 ? l.Max(t => t.Seconds) : 0):0.00} | {r.Count} | {r.Count(t => !t.Right)} | {(r.Count > 0 ? r.Max(t => t.Seconds) : 0):0.00} |"));
        }

        var lookups = all.Where(t => t.Lookup).ToList();
        var registers = all.Where(t => !t.Lookup).ToList();
        var slowOrFailed = all.Where(t => !t.Right || t.Seconds > 1).Select(At).ToList();
        var failedLookups = lookups.Where(t => !t.Right).ToList();
        var registersFailedAfterDowned = registers.Count(t => !t.Right && At(t) > downedAt);
        string Statuses(IEnumerable<Transaction> failed) => string.Join(",", failed.GroupBy(t => t.Status).OrderBy(g => g.Key).Select(g => $"{(g.Key == 0 ? "timeout" : g.Key.ToString(CultureInfo.InvariantCulture))}:{g.Count()}"));
        output.WriteLine(FormattableString.Invariant(
            $"summary: victim={observed.Victim} killed_at_s={killedAt:0.0} downed_after_s={downedAt - killedAt:0.0} serves_again_after_s={(observed.ServesAgainAt ?? double.NaN) - killedAt:0.0} loaded_after_s={(observed.LoadedAt ?? double.NaN) - killedAt:0.0} ") +
            $"lookups={lookups.Count} lookups_failed={failedLookups.Count} [{Statuses(failedLookups)}] " +
            $"registers={registers.Count} registers_failed={registers.Count(t => !t.Right)} [{Statuses(registers.Where(t => !t.Right))}] registers_failed_after_downed={registersFailedAfterDowned} registers_400={registers.Count(t => t.Status == 400)} " +
            FormattableString.Invariant($"window_s={(slowOrFailed.Count == 0 ? 0 : slowOrFailed.Max() - slowOrFailed.Min()):0.0} slow_or_failed={slowOrFailed.Count} ") +
            FormattableString.Invariant($"lookup_p99_ms={Quantile(lookups, 0.99):0.0} register_p99_ms={Quantile(registers, 0.99):0.0} ") +
            $"nodes_rss_max_mib={observed.NodesRssMaxKb / 1024} victim_rss_mib={observed.VictimRssKb / 1024} proxy_rss_max_mib={observed.ProxyRssMaxKb / 1024} " +
            $"acknowledged={registers.Count(t => t.Right)} acknowledged_lost={lost}");
    }

    private static double Quantile(List<Transaction> transactions, double q)
    {
        var sorted = transactions.Select(t => t.Seconds * 1000).Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * q))];
    }

    /// <summary>Kills the group's node after <see cref="Settings.KillAfter"/>, and times what the cluster view shows.</summary>
    private static async Task WatchAsync(HttpClient http, Settings settings, Observed observed, long start, CancellationToken ct)
    {
        double Now() => Stopwatch.GetElapsedTime(start).TotalSeconds;
        while (!ct.IsCancellationRequested)
        {
            SampleRss(settings.PidDir, observed);
            ClusterJson? cluster = null;
            try
            {
                cluster = await http.GetFromJsonAsync<ClusterJson>("/v1/cluster", ct);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !ct.IsCancellationRequested)
            {
                // The proxy busy or not answering this once: the next poll will tell.
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var group = cluster?.Groups.FirstOrDefault(g => g.Id == settings.Group);
            if (observed.KilledAt is null && Now() >= settings.KillAfter.TotalSeconds && group?.Node is { } node)
            {
                var port = node[(node.LastIndexOf(':') + 1)..];
                var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(settings.PidDir, $"node-{port}.pid"), ct), CultureInfo.InvariantCulture);
                observed.VictimRssKb = RssKb(pid);
                Process.GetProcessById(pid).Kill();
                (observed.KilledAt, observed.Victim) = (Now(), node);
                Console.Error.WriteLine($"failover-load: killed {node} (pid {pid}) at {observed.KilledAt:0.0} s");
            }
            else if (observed.KilledAt is not null && cluster is not null)
            {
                if (observed.DownedAt is null && !cluster.Nodes.Any(n => n.Address == observed.Victim && n.Status == "Up"))
                    observed.DownedAt = Now();
                if (observed.ServesAgainAt is null && group?.Node is { } host && host != observed.Victim && group.State is "loading" or "serving")
                    observed.ServesAgainAt = Now();
                if (observed.LoadedAt is null && observed.ServesAgainAt is not null && group?.State == "serving")
                    observed.LoadedAt = Now();
            }

            try
            {
                await Task.Delay(250, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static void SampleRss(string pidDir, Observed observed)
    {
        long nodes = 0;
        foreach (var file in Directory.EnumerateFiles(pidDir, "node-*.pid"))
            nodes += int.TryParse(File.ReadAllText(file), CultureInfo.InvariantCulture, out var pid) ? RssKb(pid) : 0;
        observed.NodesRssMaxKb = Math.Max(observed.NodesRssMaxKb, nodes);
        var proxy = Path.Combine(pidDir, "proxy.pid");
        if (File.Exists(proxy) && int.TryParse(File.ReadAllText(proxy), CultureInfo.InvariantCulture, out var proxyPid))
            observed.ProxyRssMaxKb = Math.Max(observed.ProxyRssMaxKb, RssKb(proxyPid));
    }

    private static long RssKb(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0; // the process is gone
        }
    }

    private static void Receive(Socket socket, ConcurrentDictionary<string, Transaction> outstanding, CancellationToken ct)
    {
        var buffer = new byte[65536];
        while (!ct.IsCancellationRequested)
        {
            int length;
            try
            {
                length = socket.Receive(buffer);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset && !ct.IsCancellationRequested)
            {
                continue;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            var now = Stopwatch.GetTimestamp();
            var text = Encoding.ASCII.GetString(buffer, 0, length);
            if (!text.StartsWith("SIP/2.0 ", StringComparison.Ordinal) || !int.TryParse(text.AsSpan(8, 3), CultureInfo.InvariantCulture, out var status))
                continue;
            var callId = SipText.Header(text, "Call-ID");
            var invite = SipText.Header(text, "CSeq")?.EndsWith("INVITE", StringComparison.Ordinal) == true;
            if (invite && status >= 200 && callId is not null)
                TrySend(socket, SipText.Ack(text, callId)); // every final answer to an INVITE, retransmitted ones too
            if (callId is null || !outstanding.TryGetValue(callId, out var transaction))
                continue;
            if (status < 200)
            {
                transaction.Provisional = true;
                continue;
            }

            if (!outstanding.TryRemove(callId, out _))
                continue;
            transaction.Status = status;
            transaction.AnsweredAt = now;
            transaction.Right = transaction.Lookup
                ? status == 302 && text.Contains($"<{StoredUsers.ContactOf(transaction.User)}>", StringComparison.Ordinal)
                : status == 200;
        }
    }

    private static long Ms(int milliseconds) => milliseconds * Stopwatch.Frequency / 1000;
}
