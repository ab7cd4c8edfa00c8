using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using LocationActors.Cluster.ProxyLinks;
using LocationActors.Sip;

namespace LocationActors.Proxy.Sip;

/// <summary>
/// Sends the keepalive pings a group hands this proxy, as SIP OPTIONS from the proxy's own UDP socket (the one the
/// phones' NAT bindings point to), and reports which were answered. A contact with a Path gets the OPTIONS through
/// the Path's edge proxy (a Route of the Path, sent to its first hop, which relays it as it would relay a call); one
/// without is sent to its received address, else to its URI. Any response counts as an answer, as in Kamailio;
/// responses are matched by Call-ID, and one that comes after the reply timeout counts for nothing.
/// </summary>
public sealed class KeepalivePinger
{
    /// <summary>Every ping's Call-ID starts with this: a response to anything else is not the pinger's.</summary>
    private const string CallIdPrefix = "la-ka-";

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiting = new(StringComparer.Ordinal);
    private readonly ILogger _log;
    private readonly string? _socketColumn;
    private Func<byte[], IPEndPoint, Task>? _send;
    private IPEndPoint? _local;

    /// <param name="socketColumn">What this proxy's REGISTERs store in the <c>socket</c> column (<c>proxy.sip.socket-column</c>): contacts with it are pinged from here.</param>
    public KeepalivePinger(ILogger<KeepalivePinger> log, string? socketColumn = null)
    {
        _log = log;
        _socketColumn = socketColumn;
    }

    /// <summary>Whether a SIP socket to send from is attached (the SIP front end runs).</summary>
    public bool CanPing => _send is not null;

    /// <summary>The sockets this proxy pings from, in the <c>socket</c> column's form; none while no SIP socket is attached.</summary>
    public IReadOnlyList<string> Sockets => _local is not { } local
        ? []
        : _socketColumn is { } column ? [$"udp:{local}", column] : [$"udp:{local}"];

    /// <summary>The SIP server's UDP socket: where pings leave from and their answers arrive.</summary>
    public void Attach(IPEndPoint local, Func<byte[], IPEndPoint, Task> send)
    {
        _local = local;
        _send = send;
    }

    /// <summary>A response arrived on the SIP socket; true when it answered a ping.</summary>
    public bool Received(SipResponse response)
    {
        if (response.Header("Call-ID") is not { } callId || !callId.StartsWith(CallIdPrefix, StringComparison.Ordinal))
            return false;
        if (_waiting.TryRemove(callId, out var waiting))
            waiting.TrySetResult();
        return true;
    }

    /// <summary>Pings every target of the batch and waits for the answers (at most the batch's reply time).</summary>
    public async Task<PingsAnswered> PingAsync(PingContacts batch)
    {
        var pings = new List<(string Ruid, string CallId, Task Answer)>(batch.Targets.Count);
        var unsent = new List<string>();
        foreach (var target in batch.Targets)
        {
            if (_send is not { } send || _local is not { } local || await DestinationOf(target) is not { } destination)
            {
                unsent.Add(target.Ruid);
                continue;
            }

            var callId = $"{CallIdPrefix}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10))}";
            var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting[callId] = answered;
            pings.Add((target.Ruid, callId, answered.Task));
            await send(Options(target, callId, local), destination);
        }

        await Task.WhenAny(Task.WhenAll(pings.Select(p => p.Answer)), Task.Delay(batch.ReplyWithinMs));
        foreach (var ping in pings)
            _waiting.TryRemove(ping.CallId, out _); // an answer that comes later finds no waiter
        if (unsent.Count > 0)
            _log.LogDebug("keepalive: {Count} contacts have no address to ping", unsent.Count);
        // A contact without an address to ping counts as missed: nothing can reach it either.
        return new PingsAnswered(batch.Batch, pings.Where(p => p.Answer.IsCompleted).Select(p => p.Ruid).ToList(),
            [.. pings.Where(p => !p.Answer.IsCompleted).Select(p => p.Ruid), .. unsent]);
    }

    /// <summary>The OPTIONS for one contact: to its URI, through its Path when it has one.</summary>
    public static byte[] Options(PingTarget target, string callId, IPEndPoint local)
    {
        var host = local.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{local.Address}]" : local.Address.ToString();
        var text = new StringBuilder()
            .Append("OPTIONS ").Append(target.Contact).Append(" SIP/2.0\r\n")
            .Append("Via: SIP/2.0/UDP ").Append(host).Append(':').Append(local.Port.ToString(CultureInfo.InvariantCulture))
            .Append(";branch=z9hG4bK").Append(callId.AsSpan(CallIdPrefix.Length)).Append(";rport\r\n");
        if (target.Path is { Length: > 0 } path)
            text.Append("Route: ").Append(path).Append("\r\n");
        text.Append("Max-Forwards: 70\r\n")
            .Append("From: <sip:keepalive@").Append(host).Append(">;tag=").Append(callId.AsSpan(CallIdPrefix.Length, 8)).Append("\r\n")
            .Append("To: <").Append(target.Contact).Append(">\r\n")
            .Append("Call-ID: ").Append(callId).Append("\r\n")
            .Append("CSeq: 1 OPTIONS\r\n")
            .Append("Content-Length: 0\r\n\r\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Where the OPTIONS goes: the Path's first hop, else the received address, else the contact's host and port.</summary>
    public static async Task<IPEndPoint?> DestinationOf(PingTarget target)
    {
        var uri = target.Path is { Length: > 0 } path
            ? SipHeaderNames.SplitValues(path).FirstOrDefault() is { } first ? SipHeaderNames.ParseNameAddress(first)?.Uri : null
            : SipHeaderNames.ParseNameAddress($"<{target.Received ?? target.Contact}>")?.Uri;
        if (uri is null)
            return null;
        var host = uri.Host.Trim('[', ']');
        var port = uri.Port ?? 5060;
        if (IPAddress.TryParse(host, out var address))
            return new IPEndPoint(address, port);
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host);
            return addresses.Length > 0 ? new IPEndPoint(addresses[0], port) : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
