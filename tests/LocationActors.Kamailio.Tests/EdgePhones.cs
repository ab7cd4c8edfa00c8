using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LocationActors.TestSupport;

namespace LocationActors.Kamailio.Tests;

/// <summary>
/// A phone on a UDP socket of its own behind an edge proxy: it registers through the edge and answers the INVITEs
/// that reach it (180, then its answer after a delay), takes the ACK and answers BYE and CANCEL, noting when each
/// request arrived. Behind NAT (<see cref="Contact"/> on a private address where nothing listens) it can only be
/// reached where it really sends from, which is what the edge must find out.
/// </summary>
internal sealed class EdgePhone : IDisposable
{
    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<(TimeSpan At, string Method)> _received = new();
    private readonly ConcurrentDictionary<string, string> _answers = new(); // Call-ID → the final answer sent
    private readonly ConcurrentDictionary<string, string> _invites = new(); // Call-ID → the INVITE (a CANCEL's 487 answers it)
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _registering = new(); // Call-ID → its final answer
    private readonly Stopwatch _clock;
    private readonly Task _loop;

    /// <param name="natted">The Contact names a private address (10.255.x.y:5060), not the socket.</param>
    public EdgePhone(string user, Stopwatch clock, bool natted = false, int status = 200, TimeSpan? answerAfter = null)
    {
        User = user;
        _clock = clock;
        Status = status;
        AnswerAfter = answerAfter ?? TimeSpan.Zero;
        Contact = natted ? $"sip:{user}@10.255.{Port / 256 % 256}.{Port % 256}:5060" : $"sip:{user}@127.0.0.1:{Port}";
        _loop = Task.Run(AnswerAsync);
    }

    public string User { get; }

    /// <summary>Whether a keepalive OPTIONS is answered (200); a phone that went away answers nothing.</summary>
    public bool AnswersOptions { get; set; } = true;

    /// <summary>Where each OPTIONS came from.</summary>
    public ConcurrentQueue<IPEndPoint> OptionsFrom { get; } = new();

    public int Port => ((IPEndPoint)_udp.Client.LocalEndPoint!).Port;

    public string Contact { get; }

    public int Status { get; }

    public TimeSpan AnswerAfter { get; }

    /// <summary>Requests that reached the phone, in order, with the time on the test's clock.</summary>
    public IReadOnlyList<(TimeSpan At, string Method)> Received => _received.ToList();

    public TimeSpan? FirstInviteAt => Received.Where(r => r.Method == "INVITE").Select(r => (TimeSpan?)r.At).FirstOrDefault();

    /// <summary>When the phone sent its first final answer to an INVITE (its <see cref="Status"/>), on the test's clock.</summary>
    public TimeSpan? AnsweredAt { get; private set; }

    /// <summary>The final answer of a REGISTER through the edge at <paramref name="edgePort"/>.</summary>
    public async Task<string> RegisterAsync(int edgePort, int cseq, int expires = 600, string contactParameters = "", string extraHeaders = "")
    {
        var callId = $"{User}-reg-{Port}";
        var request = $"REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {Host(Contact)};branch={SipText.Branch()};rport\r\n" +
                      $"From: <sip:{User}@example.com>;tag=r{cseq}\r\nTo: <sip:{User}@example.com>\r\nCall-ID: {callId}\r\nCSeq: {cseq} REGISTER\r\n" +
                      $"Contact: <{Contact}>{contactParameters}\r\nExpires: {expires}\r\nMax-Forwards: 70\r\n{extraHeaders}Content-Length: 0\r\n\r\n";
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _registering[callId] = answer;
        await _udp.SendAsync(Encoding.UTF8.GetBytes(request), new IPEndPoint(IPAddress.Loopback, edgePort));
        return await answer.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static string Host(string uri) => uri[(uri.IndexOf('@') + 1)..];

    private async Task AnswerAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult packet;
            try
            {
                packet = await _udp.ReceiveAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                    return;
                continue;
            }

            var text = Encoding.UTF8.GetString(packet.Buffer);
            var callId = SipText.Headers(text, "Call-ID").FirstOrDefault() ?? "";
            if (text.StartsWith("SIP/2.0 ", StringComparison.Ordinal))
            {
                if (SipText.Status(text) >= 200 && _registering.TryRemove(callId, out var waiting))
                    waiting.TrySetResult(text);
                continue;
            }

            var method = text[..text.IndexOf(' ', StringComparison.Ordinal)];
            _received.Enqueue((_clock.Elapsed, method));
            switch (method)
            {
                case "INVITE":
                    _invites[callId] = text;
                    await ReplyAsync(text, 180, packet.RemoteEndPoint);
                    _ = FinalAnswerAsync(text, callId, packet.RemoteEndPoint);
                    break;
                case "BYE":
                    await ReplyAsync(text, 200, packet.RemoteEndPoint);
                    break;
                case "OPTIONS":
                    OptionsFrom.Enqueue(packet.RemoteEndPoint);
                    if (AnswersOptions)
                        await ReplyAsync(text, 200, packet.RemoteEndPoint);
                    break;
                case "CANCEL":
                    await ReplyAsync(text, 200, packet.RemoteEndPoint);
                    if (_answers.TryAdd(callId, "487"))
                        await ReplyAsync(_invites[callId], 487, packet.RemoteEndPoint);
                    break;
            }
        }
    }

    private async Task FinalAnswerAsync(string invite, string callId, IPEndPoint to)
    {
        if (AnswerAfter > TimeSpan.Zero)
            await Task.Delay(AnswerAfter);
        if (_answers.TryAdd(callId, Status.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            AnsweredAt ??= _clock.Elapsed;
            await ReplyAsync(invite, Status, to);
        }
    }

    /// <summary>A response to <paramref name="request"/> (its Via, Record-Route, From, To with the phone's tag, Call-ID, CSeq).</summary>
    private async Task ReplyAsync(string request, int status, IPEndPoint to)
    {
        var text = new StringBuilder($"SIP/2.0 {status} {(status == 200 ? "OK" : "Answer")}\r\n");
        foreach (var line in request.Split("\r\n"))
        {
            var name = line.Split(':', 2)[0].Trim();
            if (name.Equals("Via", StringComparison.OrdinalIgnoreCase) || name.Equals("From", StringComparison.OrdinalIgnoreCase) ||
                name.Equals("Call-ID", StringComparison.OrdinalIgnoreCase) || name.Equals("CSeq", StringComparison.OrdinalIgnoreCase) ||
                (name.Equals("Record-Route", StringComparison.OrdinalIgnoreCase) && status < 300))
                text.Append(line).Append("\r\n");
            else if (name.Equals("To", StringComparison.OrdinalIgnoreCase))
                text.Append(line.Contains(";tag=", StringComparison.Ordinal) ? line : line + ";tag=" + User).Append("\r\n");
        }

        if (status < 300)
            text.Append($"Contact: <{Contact}>\r\n");
        text.Append("Content-Length: 0\r\n\r\n");
        await _udp.SendAsync(Encoding.UTF8.GetBytes(text.ToString()), to);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _udp.Dispose();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // the loop ended with the socket
        }

        _stop.Dispose();
    }
}

/// <summary>What a call through an edge came to: the final answer, when it came, and whether the BYE was answered 200.</summary>
internal sealed record CallResult(int Status, TimeSpan AnsweredAfter, int? ByeStatus, string FinalAnswer);

/// <summary>A caller that places one whole call through an edge: INVITE, then ACK and BYE along the Record-Route on a 200.</summary>
internal static class Caller
{
    public static async Task<CallResult> CallAsync(int edgePort, string user, TimeSpan? limit = null)
    {
        using var peer = new SipUdpPeer(edgePort);
        var callId = "edge-call-" + Guid.NewGuid().ToString("N")[..12];
        var contact = $"<sip:caller@127.0.0.1:{peer.Port}>";
        var started = Stopwatch.StartNew();
        await peer.SendAsync(SipText.Request("INVITE", $"sip:{user}@example.com", peer.Port, $"Contact: {contact}\r\n", callId: callId));
        string final;
        while (true)
        {
            final = await peer.ReceiveAsync(limit ?? TimeSpan.FromSeconds(10)) ??
                    throw new Xunit.Sdk.XunitException($"no final answer to the call to {user} within {(limit ?? TimeSpan.FromSeconds(10)).TotalSeconds} s");
            if (SipText.Status(final) >= 200 && SipText.Headers(final, "CSeq").FirstOrDefault() == "1 INVITE")
                break;
        }

        var answeredAfter = started.Elapsed;
        var status = SipText.Status(final);
        if (status is < 200 or >= 300)
            return new CallResult(status, answeredAfter, null, final);

        // RFC 3261 §12.1.2: the route set is the Record-Route in reverse, the remote target the 200's Contact.
        var target = SipText.Headers(final, "Contact")[0].Trim('<', '>');
        var routes = string.Concat(SipText.Headers(final, "Record-Route").SelectMany(r => r.Split(',')).Reverse().Select(r => $"Route: {r.Trim()}\r\n"));
        var to = SipText.Headers(final, "To")[0];
        string InDialog(string method, int cseq) =>
            $"{method} {target} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{peer.Port};branch={SipText.Branch()};rport\r\n{routes}" +
            $"From: <sip:caller@example.com>;tag=c1\r\nTo: {to}\r\nCall-ID: {callId}\r\nCSeq: {cseq} {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
        await peer.SendAsync(InDialog("ACK", 1));
        // The call lasts a moment: the edge's workers could otherwise pass the BYE on before the ACK (a CI run saw it).
        await Task.Delay(200);
        await peer.SendAsync(InDialog("BYE", 2));
        int? byeStatus = null;
        while (await peer.ReceiveAsync(TimeSpan.FromSeconds(5)) is { } answer)
        {
            if (SipText.Headers(answer, "CSeq").FirstOrDefault() == "2 BYE" && SipText.Status(answer) >= 200)
            {
                byeStatus = SipText.Status(answer);
                break;
            }
        }

        return new CallResult(status, answeredAfter, byeStatus, final);
    }
}
