using System.Text;

namespace LocationActors.Sip.Tests;

/// <summary>
/// Builds SIP message text for the corpus: a start line, header lines (written as raw text so that odd whitespace and
/// folding stay exactly as written), a body. Immutable: every change returns a new message.
/// </summary>
public sealed class Msg
{
    private readonly string _prefix;
    private readonly string _start;
    private readonly IReadOnlyList<string> _lines;
    private readonly string _body;
    private readonly bool _lfOnly;

    public Msg(string start, params string[] lines) : this("", start, lines, "", false) { }

    private Msg(string prefix, string start, IReadOnlyList<string> lines, string body, bool lfOnly)
    {
        _prefix = prefix;
        _start = start;
        _lines = lines;
        _body = body;
        _lfOnly = lfOnly;
    }

    public const string SdpBody =
        "v=0\r\no=alice 2890844526 2890844526 IN IP4 client.atlanta.example.com\r\ns=-\r\nc=IN IP4 192.0.2.101\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

    /// <summary>A well-formed REGISTER (RFC 3665 style) that every REGISTER case starts from.</summary>
    public static Msg Register() => new(
        "REGISTER sip:registrar.example.com SIP/2.0",
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds7;rport",
        "Max-Forwards: 70",
        "To: Alice <sip:alice@example.com>",
        "From: Alice <sip:alice@example.com>;tag=456248",
        "Call-ID: 843817637684230@998sdasdh09",
        "CSeq: 1826 REGISTER",
        "Contact: <sip:alice@192.0.2.10:5060>",
        "Expires: 7200",
        "Content-Length: 0");

    /// <summary>A well-formed INVITE with an SDP body.</summary>
    public static Msg Invite() => new Msg(
        "INVITE sip:bob@biloxi.example.com SIP/2.0",
        "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9",
        "Max-Forwards: 70",
        "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl",
        "To: Bob <sip:bob@biloxi.example.com>",
        "Call-ID: 3848276298220188511@atlanta.example.com",
        "CSeq: 1 INVITE",
        "Contact: <sip:alice@client.atlanta.example.com;transport=tcp>",
        "Content-Type: application/sdp",
        "Content-Length: 0").WithBody(SdpBody);

    /// <summary>A request of <paramref name="method"/> with only the mandatory headers.</summary>
    public static Msg Minimal(string method, string cseqMethod = "") => new(
        $"{method} sip:bob@biloxi.example.com SIP/2.0",
        "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKkjshdyff",
        "From: <sip:alice@atlanta.example.com>;tag=88sja8x",
        "To: <sip:bob@biloxi.example.com>",
        "Call-ID: 987asjd97y7atg",
        $"CSeq: 986759 {(cseqMethod == "" ? method : cseqMethod)}");

    public static Msg Response(string statusLine) => new(
        statusLine,
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds7;received=192.0.2.10;rport=5060",
        "From: Alice <sip:alice@example.com>;tag=456248",
        "To: Alice <sip:alice@example.com>;tag=2493k59kd",
        "Call-ID: 843817637684230@998sdasdh09",
        "CSeq: 1826 REGISTER",
        "Content-Length: 0");

    public Msg StartLine(string start) => new(_prefix, start, _lines, _body, _lfOnly);

    public Msg Prefix(string prefix) => new(prefix, _start, _lines, _body, _lfOnly);

    /// <summary>Removes every line of header <paramref name="name"/> (as written, case-insensitive).</summary>
    public Msg Without(string name) => new(_prefix, _start, _lines.Where(l => !Is(l, name)).ToList(), _body, _lfOnly);

    /// <summary>Replaces the lines of header <paramref name="name"/> with one <paramref name="line"/> where the first
    /// was, or appends it.</summary>
    public Msg Replace(string name, string line)
    {
        var lines = new List<string>();
        var done = false;
        foreach (var l in _lines)
        {
            if (!Is(l, name))
                lines.Add(l);
            else if (!done)
            {
                lines.Add(line);
                done = true;
            }
        }
        if (!done)
            lines.Add(line);
        return new Msg(_prefix, _start, lines, _body, _lfOnly);
    }

    public Msg Set(string name, string value) => Replace(name, $"{name}: {value}");

    public Msg Add(params string[] lines) => new(_prefix, _start, _lines.Concat(lines).ToList(), _body, _lfOnly);

    /// <summary>Sets the body and a Content-Length that matches it.</summary>
    public Msg WithBody(string body) => new Msg(_prefix, _start, _lines, body, _lfOnly).Set("Content-Length", Encoding.UTF8.GetByteCount(body).ToString());

    /// <summary>Sets the body and leaves Content-Length as it is.</summary>
    public Msg WithRawBody(string body) => new(_prefix, _start, _lines, body, _lfOnly);

    /// <summary>Every CRLF of the header section (folds included) becomes a bare LF.</summary>
    public Msg LfOnly() => new(_prefix, _start, _lines, _body, true);

    public string Text
    {
        get
        {
            var head = new StringBuilder(_start).Append("\r\n");
            foreach (var line in _lines)
                head.Append(line).Append("\r\n");
            head.Append("\r\n");
            var text = head.ToString();
            return _prefix + (_lfOnly ? text.Replace("\r\n", "\n") : text) + _body;
        }
    }

    public byte[] Bytes => Encoding.UTF8.GetBytes(Text);

    public override string ToString() => Text;

    private static bool Is(string line, string name)
    {
        var colon = line.IndexOf(':');
        return colon > 0 && line[..colon].Trim().Equals(name, StringComparison.OrdinalIgnoreCase);
    }
}

public static class ViaExtensions
{
    /// <summary>A Via parameter's value ("" for a bare one), or null.</summary>
    public static string? Param(this SipVia via, string name) => SipParameters.Find(via.Parameters, name);
}
