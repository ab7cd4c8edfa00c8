using System.Net;
using System.Text;
using LocationActors.Sip;

namespace LocationActors.Proxy.Sip;

/// <summary>
/// Builds responses as RFC 3261 §8.2.6 says: the request's Via values (the topmost with <c>received</c> and
/// <c>rport</c> filled in, §18.2.1 and RFC 3581), From, To (with a tag added unless it has one), Call-ID and CSeq
/// copied, then the response's own headers.
/// </summary>
public static class SipResponses
{
    public const string ServerName = "LocationActors";

    public static string ReasonOf(int status) => status switch
    {
        100 => "Trying",
        200 => "OK",
        302 => "Moved Temporarily",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        420 => "Bad Extension",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        483 => "Too Many Hops",
        500 => "Server Internal Error",
        503 => "Service Unavailable",
        513 => "Message Too Large",
        _ => "Unknown",
    };

    /// <summary>A response to a parsed request.</summary>
    /// <param name="toTag">Added to To when it has no tag (every response but 100 needs one).</param>
    /// <param name="headers">The response's own headers, in order (e.g. Contact, Min-Expires, Retry-After).</param>
    public static byte[] Build(SipRequest request, IPEndPoint source, int status, string? reason, string toTag, IEnumerable<(string Name, string Value)> headers) =>
        Build(request.Headers, source, status, reason, request.To.Tag is null && status > 100 ? toTag : null, headers);

    /// <summary>
    /// A response from the raw header fields of a request that did not parse completely (a 400 with the reason), or
    /// null when it lacks what a response must copy (Via, From, To, Call-ID, CSeq): then nothing can be sent.
    /// </summary>
    public static byte[]? BuildFromFields(IReadOnlyList<SipHeader> fields, IPEndPoint source, int status, string reason, string toTag)
    {
        string[] needed = ["Via", "From", "To", "Call-ID", "CSeq"];
        if (needed.Any(name => !fields.Any(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))))
            return null;
        var to = fields.First(f => string.Equals(f.Name, "To", StringComparison.OrdinalIgnoreCase)).Value;
        return Build(fields, source, status, reason, to.Contains(";tag=", StringComparison.OrdinalIgnoreCase) ? null : toTag, []);
    }

    private static byte[] Build(IReadOnlyList<SipHeader> fields, IPEndPoint source, int status, string? reason, string? addToTag,
        IEnumerable<(string Name, string Value)> headers)
    {
        var text = new StringBuilder(512);
        // A reason phrase is one line of text: whatever explains an error must not break the message.
        var phrase = Clean(reason ?? ReasonOf(status));
        text.Append("SIP/2.0 ").Append(status).Append(' ').Append(phrase).Append("\r\n");
        var first = true;
        foreach (var field in fields.Where(f => string.Equals(f.Name, "Via", StringComparison.OrdinalIgnoreCase)))
        {
            foreach (var via in SipHeaderNames.SplitValues(field.Value))
            {
                text.Append("Via: ").Append(first ? WithReceived(via, source) : via).Append("\r\n");
                first = false;
            }
        }

        foreach (var name in new[] { "From", "To", "Call-ID", "CSeq" })
        {
            var value = fields.First(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase)).Value;
            text.Append(name).Append(": ").Append(value);
            if (name == "To" && addToTag is not null)
                text.Append(";tag=").Append(addToTag);
            text.Append("\r\n");
        }

        foreach (var (name, value) in headers)
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        text.Append("Server: ").Append(ServerName).Append("\r\n");
        text.Append("Content-Length: 0\r\n\r\n");
        // Latin-1 both ways: every byte of the request's From, To and Via is echoed exactly as it came (the parser reads headers as Latin-1).
        return Encoding.Latin1.GetBytes(text.ToString());
    }

    /// <summary>The topmost Via with <c>received</c> (always: we answer to the source) and the <c>rport</c> value when asked for.</summary>
    private static string WithReceived(string via, IPEndPoint source)
    {
        var parts = via.Split(';');
        var result = new StringBuilder(parts[0].TrimEnd());
        var hasReceived = false;
        foreach (var part in parts.Skip(1))
        {
            var trimmed = part.Trim();
            if (trimmed.Equals("rport", StringComparison.OrdinalIgnoreCase))
                result.Append(";rport=").Append(source.Port);
            else if (trimmed.StartsWith("received=", StringComparison.OrdinalIgnoreCase))
            {
                result.Append(";received=").Append(source.Address);
                hasReceived = true;
            }
            else
                result.Append(';').Append(trimmed);
        }

        if (!hasReceived)
            result.Append(";received=").Append(source.Address);
        return result.ToString();
    }

    private static string Clean(string text) =>
        new(text.Select(c => c is '\r' or '\n' || char.IsControl(c) ? ' ' : c).Take(200).ToArray());
}
