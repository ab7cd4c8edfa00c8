using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LocationActors.Chaos;

/// <summary>
/// A phone talking SIP over UDP to one server (Kamailio in a mixed run), one request at a time: REGISTER a contact
/// with an expiry, or ask where a user is with an INVITE (answered 302 with the contacts, or 404). Answers are matched
/// by Call-ID and CSeq, so a late answer to an earlier request is never taken for the current one; no answer within
/// the limit is null. It never retransmits: on loopback nothing is lost, and a copy of a REGISTER that Kamailio
/// handled late (after a later removal of the same contact) would bring the contact back, which p_usrloc has no
/// defence against.
/// </summary>
public sealed class SipClient(int serverPort, TimeSpan limit) : IDisposable
{
    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly IPEndPoint _server = new(IPAddress.Loopback, serverPort);

    private int Port => ((IPEndPoint)_udp.Client.LocalEndPoint!).Port;

    /// <summary>The final status of a REGISTER of <paramref name="contact"/>, or null when none came.</summary>
    public async Task<int?> RegisterAsync(string user, string callId, int cseq, string contact, int expires, CancellationToken ct = default) =>
        await AskAsync(Message($"REGISTER sip:127.0.0.1 SIP/2.0", $"<sip:{user}@example.com>", callId, $"{cseq} REGISTER",
            $"Contact: <{contact}>\r\nExpires: {expires}\r\n"), callId, $"{cseq} REGISTER", ct) is { } answer
            ? Status(answer)
            : null;

    /// <summary>
    /// The contacts a lookup of the user found as they were registered, in the answer's order (empty: 404), or null for any
    /// other answer or none. The <c>;alias=</c> LocationActors adds for a phone that sent from elsewhere is taken off.
    /// </summary>
    public async Task<IReadOnlyList<string>?> LookupAsync(string user, CancellationToken ct = default)
    {
        var callId = "chaos-lookup-" + Guid.NewGuid().ToString("N")[..12];
        var answer = await AskAsync(Message($"INVITE sip:{user}@example.com SIP/2.0", $"<sip:{user}@example.com>", callId, "1 INVITE", ""),
            callId, "1 INVITE", ct);
        if (answer is null)
            return null;
        return Status(answer) switch
        {
            // Kamailio's redirect route lists some contacts twice (a branch and the destination set): each counts once.
            302 => Headers(answer, "Contact").SelectMany(v => v.Split(',')).Select(c => c.Trim())
                .Select(c => c.StartsWith('<') ? c[1..c.IndexOf('>', StringComparison.Ordinal)] : c)
                .Select(LocationActors.Sip.NatAlias.Remove).Distinct().ToList(),
            404 => [],
            _ => null,
        };
    }

    private string Message(string startLine, string to, string callId, string cseq, string headers) =>
        $"{startLine}\r\nVia: SIP/2.0/UDP 127.0.0.1:{Port};branch=z9hG4bK{Guid.NewGuid():N};rport\r\nFrom: <sip:chaos@example.com>;tag={Guid.NewGuid():N}\r\n" +
        $"To: {to}\r\nCall-ID: {callId}\r\nCSeq: {cseq}\r\nMax-Forwards: 70\r\n{headers}Content-Length: 0\r\n\r\n";

    private async Task<string?> AskAsync(string request, string callId, string cseq, CancellationToken ct)
    {
        await _udp.SendAsync(Encoding.UTF8.GetBytes(request), _server, ct);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(limit);
        try
        {
            while (true)
            {
                var text = Encoding.UTF8.GetString((await _udp.ReceiveAsync(wait.Token)).Buffer);
                if (!text.StartsWith("SIP/2.0 1", StringComparison.Ordinal) && Headers(text, "Call-ID").FirstOrDefault() == callId &&
                    Headers(text, "CSeq").FirstOrDefault() == cseq)
                    return text;
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
        catch (SocketException)
        {
            return null; // nothing listens there right now (ICMP port unreachable)
        }
    }

    private static int Status(string response) => int.Parse(response.AsSpan(8, 3), System.Globalization.CultureInfo.InvariantCulture);

    private static IEnumerable<string> Headers(string response, string name) =>
        response.Split("\r\n").Where(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)).Select(l => l[(name.Length + 1)..].Trim());

    public void Dispose() => _udp.Dispose();
}
