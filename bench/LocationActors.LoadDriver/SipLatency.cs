using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace LocationActors.Bench;

/// <summary>
/// Response times of a SIP server at a fixed rate, to the microsecond. sipp's response-time trace counts in its own
/// clock ticks (4 ms here), so at 500/s it can only say "under a tick" or "a tick or more"; this driver sends the same
/// requests as bench/sipp's scenarios, open loop (each request leaves at its scheduled time whatever the answers do),
/// and times every answer with a Stopwatch. The same run measures any SIP server, so both systems of bench/run.sh are
/// measured alike.
/// </summary>
public static class SipLatency
{
    /// <summary>An answer later than this counts as lost.</summary>
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(2);

    public static async Task<int> RunAsync(IPEndPoint target, string scenario, IReadOnlyList<string> users, int rate, int count, int localPort, TextWriter output, CancellationToken ct)
    {
        if (scenario is not ("invite" or "register"))
            throw new ArgumentException($"unknown scenario '{scenario}' (invite or register)", nameof(scenario));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(target.Address, localPort));
        socket.Connect(target);
        var local = (IPEndPoint)socket.LocalEndPoint!;

        var sentAt = new ConcurrentDictionary<string, long>();
        var latencies = new ConcurrentBag<double>();
        var wrong = new StrongBox<int>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var receiver = new Thread(() => Receive(socket, scenario, sentAt, latencies, wrong, stop.Token)) { IsBackground = true, Name = "sip-latency-receive" };
        receiver.Start();

        var runId = Environment.ProcessId.ToString("x") + Stopwatch.GetTimestamp().ToString("x");
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < count && !ct.IsCancellationRequested; i++)
        {
            WaitUntil(start + (long)(i * (double)Stopwatch.Frequency / rate));
            var user = users[i % users.Count];
            var callId = $"{runId}-{i}";
            var request = scenario == "invite" ? SipText.Invite(user, callId, local, $"lat{i}") : SipText.Register(user, callId, local, target, $"lat{i}", cseq: 2, "sip-latency");
            sentAt[callId] = Stopwatch.GetTimestamp();
            try
            {
                socket.Send(request);
            }
            catch (SocketException)
            {
                // Nothing listens (an earlier datagram came back "port unreachable"): the request counts as lost.
            }
        }

        var sendSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var deadline = Stopwatch.GetTimestamp() + (long)(AnswerTimeout.TotalSeconds * Stopwatch.Frequency);
        while (!sentAt.IsEmpty && Stopwatch.GetTimestamp() < deadline)
            await Task.Delay(10, ct);
        stop.Cancel();
        socket.Close();
        receiver.Join();

        var sorted = latencies.Order().ToArray();
        var lost = count - sorted.Length - wrong.Value;
        output.WriteLine(sorted.Length == 0
            ? $"{count} {lost + wrong.Value} {count / sendSeconds:0} - - - - -"
            : FormattableString.Invariant($"{count} {lost + wrong.Value} {count / sendSeconds:0} {At(sorted, 0.5):0.00} {At(sorted, 0.9):0.00} {At(sorted, 0.99):0.00} {At(sorted, 0.999):0.00} {sorted[^1]:0.00}"));
        return lost + wrong.Value == 0 ? 0 : 1;
    }

    /// <summary>PREFIX0000001 ... PREFIXn, as bench/sipp/users.sh names them, or the first field of each line of a sipp
    /// injection file.</summary>
    public static IReadOnlyList<string> Users(string prefix, int count, string? file) => file is null
        ? Enumerable.Range(1, count).Select(i => $"{prefix}{i:D7}").ToList()
        : File.ReadLines(file).Skip(1).Select(line => line.Split(';')[0]).Where(user => user.Length > 0).ToList();

    private static double At(double[] sorted, double quantile) => sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * quantile))];

    /// <summary>Sleeps in steps of a millisecond: spinning would take a core from the server on a small machine, and
    /// the time a request waits here does not count (its clock starts when it leaves).</summary>
    private static void WaitUntil(long timestamp)
    {
        while (Stopwatch.GetTimestamp() < timestamp)
            Thread.Sleep(1);
    }

    private static void Receive(Socket socket, string scenario, ConcurrentDictionary<string, long> sentAt, ConcurrentBag<double> latencies, StrongBox<int> wrong, CancellationToken ct)
    {
        var buffer = new byte[65536];
        var expected = scenario == "invite" ? 302 : 200;
        while (!ct.IsCancellationRequested)
        {
            int length;
            try
            {
                length = socket.Receive(buffer);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset && !ct.IsCancellationRequested)
            {
                continue; // "port unreachable" for a datagram sent while the server was away
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            var now = Stopwatch.GetTimestamp();
            var text = Encoding.ASCII.GetString(buffer, 0, length);
            if (!text.StartsWith("SIP/2.0 ", StringComparison.Ordinal) || !int.TryParse(text.AsSpan(8, 3), out var status) || status < 200)
                continue; // a request, or a provisional answer
            var callId = SipText.Header(text, "Call-ID");
            if (callId is null || !sentAt.TryRemove(callId, out var sent))
                continue; // a retransmitted answer
            if (status != expected || (scenario == "invite" && SipText.Header(text, "Contact") is null))
                Interlocked.Increment(ref wrong.Value);
            else
                latencies.Add((now - sent) * 1000.0 / Stopwatch.Frequency);
            if (scenario == "invite")
                socket.Send(SipText.Ack(text, callId));
        }
    }
}
