using System.Net;
using System.Text;

namespace LocationActors.Bench;

/// <summary>The little SIP text handling the load drivers need: a header's value, and the ACK of a final answer.</summary>
internal static class SipText
{
    public static string? Header(string message, string name)
    {
        foreach (var line in message.Split("\r\n"))
        {
            if (line.Length == 0)
                break;
            if (line.StartsWith(name, StringComparison.OrdinalIgnoreCase) && line.Length > name.Length && line[name.Length] == ':')
                return line[(name.Length + 1)..].Trim();
        }

        return null;
    }

    /// <summary>An INVITE for the user, as bench/sipp's scenario sends it (a 302 with the user's contacts expected).</summary>
    public static byte[] Invite(string user, string callId, IPEndPoint local, string tag) => Encoding.ASCII.GetBytes(
        $"INVITE sip:{user}@example.com SIP/2.0\r\n" +
        $"Via: SIP/2.0/UDP {local};branch=z9hG4bK-{callId}\r\n" +
        $"From: <sip:caller@example.com>;tag={tag}\r\n" +
        $"To: <sip:{user}@example.com>\r\n" +
        $"Call-ID: {callId}\r\n" +
        "CSeq: 1 INVITE\r\n" +
        $"Contact: <sip:caller@{local}>\r\n" +
        "Max-Forwards: 70\r\n" +
        "Content-Length: 0\r\n\r\n");

    /// <summary>A REGISTER of the user's contact at this socket for an hour: a refresh when the user registered it before.</summary>
    public static byte[] Register(string user, string callId, IPEndPoint local, IPEndPoint target, string tag, int cseq, string userAgent) => Encoding.ASCII.GetBytes(
        $"REGISTER sip:{target} SIP/2.0\r\n" +
        $"Via: SIP/2.0/UDP {local};branch=z9hG4bK-{callId}\r\n" +
        $"From: <sip:{user}@example.com>;tag={tag}\r\n" +
        $"To: <sip:{user}@example.com>\r\n" +
        $"Call-ID: {callId}\r\n" +
        $"CSeq: {cseq} REGISTER\r\n" +
        $"Contact: <sip:{user}@{local}>\r\n" +
        "Max-Forwards: 70\r\n" +
        "Expires: 3600\r\n" +
        $"User-Agent: {userAgent}\r\n" +
        "Content-Length: 0\r\n\r\n");

    /// <summary>The ACK of a non-2xx final answer (RFC 3261 17.1.1.3): the INVITE's Via branch, the answer's To tag.</summary>
    public static byte[] Ack(string response, string callId)
    {
        var via = Header(response, "Via");
        var from = Header(response, "From");
        var to = Header(response, "To");
        var uri = to is null ? "sip:unknown@example.com" : to[(to.IndexOf('<') + 1)..to.IndexOf('>')];
        return Encoding.ASCII.GetBytes(
            $"ACK {uri} SIP/2.0\r\n" +
            $"Via: {via}\r\n" +
            $"From: {from}\r\n" +
            $"To: {to}\r\n" +
            $"Call-ID: {callId}\r\n" +
            "CSeq: 1 ACK\r\n" +
            "Max-Forwards: 70\r\n" +
            "Content-Length: 0\r\n\r\n");
    }
}
