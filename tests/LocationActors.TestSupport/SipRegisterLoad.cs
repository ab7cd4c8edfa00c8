using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LocationActors.TestSupport;

/// <summary>
/// REGISTERs at a steady rate over UDP, one new user each, sent as a phone's user agent sends them: retransmitted as
/// RFC 3261's Timer E does (0.5 s doubling up to 4 s) until a final answer, and given up after a patience (the
/// shipped Kamailio edge answers a phone 503 after 5 s). Open loop: a slow answer does not slow the sending. Every
/// REGISTER's outcome is kept, so a test counts what failed instead of timing anything.
/// </summary>
public sealed class SipRegisterLoad : IAsyncDisposable
{
    private static readonly TimeSpan FirstRetransmit = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LastRetransmit = TimeSpan.FromSeconds(4);

    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly IPEndPoint _server;
    private readonly TimeSpan _patience;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<int>> _waiting = new();
    private readonly ConcurrentQueue<Outcome> _outcomes = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _receiving;
    private Task _sending = Task.CompletedTask;

    private SipRegisterLoad(int serverPort, TimeSpan patience)
    {
        _server = new IPEndPoint(IPAddress.Loopback, serverPort);
        _patience = patience;
        _receiving = Task.Run(ReceiveAsync);
    }

    /// <summary>One REGISTER: when it was first sent (from the start of the load), its final status (null: none within the patience), how long it took.</summary>
    public sealed record Outcome(string User, TimeSpan SentAt, int? Status, TimeSpan Took, int Sends);

    /// <summary>Time since the load started, the clock of <see cref="Outcome.SentAt"/>.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    public IReadOnlyList<Outcome> Outcomes => _outcomes.ToList();

    /// <summary>Sends a REGISTER (expires 3600) for each of <paramref name="users"/>, <paramref name="perSecond"/> a second.</summary>
    public static SipRegisterLoad Start(int serverPort, IReadOnlyList<string> users, int perSecond, TimeSpan patience)
    {
        var load = new SipRegisterLoad(serverPort, patience);
        load._sending = Task.Run(() => load.SendAllAsync(users, perSecond));
        return load;
    }

    /// <summary>Completes when every REGISTER has its outcome.</summary>
    public Task Completion => _sending;

    private async Task SendAllAsync(IReadOnlyList<string> users, int perSecond)
    {
        var registers = new List<Task>(users.Count);
        for (var n = 0; n < users.Count && !_stop.IsCancellationRequested; n++)
        {
            var due = TimeSpan.FromSeconds((double)n / perSecond);
            if (due > _clock.Elapsed)
                await Task.Delay(due - _clock.Elapsed);
            registers.Add(RegisterAsync(users[n]));
        }

        await Task.WhenAll(registers);
    }

    private async Task RegisterAsync(string user)
    {
        var callId = $"load-{Guid.NewGuid():N}";
        var port = ((IPEndPoint)_udp.Client.LocalEndPoint!).Port;
        var message = Encoding.UTF8.GetBytes(SipText.Register(port, user, callId, 1, $"<sip:{user}@127.0.0.1:{port}>", "Expires: 3600\r\n"));
        var answer = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[callId] = answer;
        var sentAt = _clock.Elapsed;
        var giveUp = sentAt + _patience;
        var interval = FirstRetransmit;
        var sends = 0;
        int? status = null;
        while (status is null && _clock.Elapsed < giveUp && !_stop.IsCancellationRequested)
        {
            await _udp.SendAsync(message, _server);
            sends++;
            var wait = TimeSpan.FromTicks(Math.Min(interval.Ticks, (giveUp - _clock.Elapsed).Ticks));
            if (wait > TimeSpan.Zero && await Task.WhenAny(answer.Task, Task.Delay(wait)) == answer.Task)
                status = answer.Task.Result;
            interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, LastRetransmit.Ticks));
        }

        _waiting.TryRemove(callId, out _);
        _outcomes.Enqueue(new Outcome(user, sentAt, status, _clock.Elapsed - sentAt, sends));
    }

    private async Task ReceiveAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult datagram;
            try
            {
                datagram = await _udp.ReceiveAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var text = Encoding.UTF8.GetString(datagram.Buffer);
            if (!text.StartsWith("SIP/2.0 ", StringComparison.Ordinal) || SipText.Status(text) < 200)
                continue;
            if (SipText.Headers(text, "Call-ID") is [var callId, ..] && _waiting.TryGetValue(callId, out var waiting))
                waiting.TrySetResult(SipText.Status(text));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _sending.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            // the outcomes are not needed any more
        }

        _udp.Dispose();
        await _receiving.WaitAsync(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
