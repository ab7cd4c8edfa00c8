namespace LocationActors.Sip;

/// <summary>One header field as received: its canonical name (compact forms expanded, e.g. <c>m</c> → <c>Contact</c>) and its value, unfolded and trimmed.</summary>
public sealed record SipHeader(string Name, string Value);

/// <summary>A <c>;name=value</c> parameter (of a URI, a Via, a name-addr); <see cref="Value"/> is null for a bare <c>;lr</c>. Values keep their quotes.</summary>
public sealed record SipParameter(string Name, string? Value);

/// <summary>What the headers of a SIP message have in common, with case-insensitive lookup by canonical or compact name.</summary>
public abstract class SipMessage(IReadOnlyList<SipHeader> headers, ReadOnlyMemory<byte> body)
{
    /// <summary>Every header field in the order received (a multi-value header line stays one field).</summary>
    public IReadOnlyList<SipHeader> Headers { get; } = headers;

    public ReadOnlyMemory<byte> Body { get; } = body;

    /// <summary>The first value of a header (canonical or compact name), or null.</summary>
    public string? Header(string name)
    {
        var canonical = SipHeaderNames.Canonical(name);
        foreach (var header in Headers)
            if (string.Equals(header.Name, canonical, StringComparison.OrdinalIgnoreCase))
                return header.Value;
        return null;
    }

    /// <summary>Every value of a header: each field, and within a field each comma-separated value (commas inside quotes or &lt;&gt; do not split).</summary>
    public IReadOnlyList<string> HeaderValues(string name)
    {
        var canonical = SipHeaderNames.Canonical(name);
        var values = new List<string>();
        foreach (var header in Headers)
            if (string.Equals(header.Name, canonical, StringComparison.OrdinalIgnoreCase))
                values.AddRange(SipHeaderNames.SplitValues(header.Value));
        return values;
    }
}

/// <summary>
/// A SIP request with the typed headers a registrar and a redirect server use. The parser only builds one when the
/// mandatory headers (Via, From, To, Call-ID, CSeq) are present and well formed, CSeq's method equals the request's,
/// and the Contact values parse.
/// </summary>
public sealed class SipRequest(
    string method,
    SipUri requestUri,
    IReadOnlyList<SipVia> via,
    NameAddress from,
    NameAddress to,
    string callId,
    CSeq cseq,
    IReadOnlyList<ContactValue> contacts,
    bool contactStar,
    long? expires,
    IReadOnlyList<SipHeader> headers,
    ReadOnlyMemory<byte> body) : SipMessage(headers, body)
{
    /// <summary>As received (SIP methods are case-sensitive: <c>register</c> is an unknown method, not REGISTER).</summary>
    public string Method { get; } = method;

    public SipUri RequestUri { get; } = requestUri;

    /// <summary>Every Via value, topmost first (at least one).</summary>
    public IReadOnlyList<SipVia> Via { get; } = via;

    public NameAddress From { get; } = from;

    public NameAddress To { get; } = to;

    public string CallId { get; } = callId;

    public CSeq CSeq { get; } = cseq;

    /// <summary>Every Contact value in order; empty when there is none or for <c>Contact: *</c>.</summary>
    public IReadOnlyList<ContactValue> Contacts { get; } = contacts;

    /// <summary>The request has <c>Contact: *</c> (alone: <c>*</c> beside other contacts is a parse error).</summary>
    public bool ContactStar { get; } = contactStar;

    /// <summary>The <c>Expires</c> header in seconds, or null when absent (a malformed one is a parse error).</summary>
    public long? Expires { get; } = expires;
}

/// <summary>A SIP response (a server receives few); parsed so that it is ignored knowingly.</summary>
public sealed class SipResponse(int statusCode, string reason, IReadOnlyList<SipHeader> headers, ReadOnlyMemory<byte> body) : SipMessage(headers, body)
{
    public int StatusCode { get; } = statusCode;

    public string Reason { get; } = reason;
}

/// <summary>The CSeq header: sequence number (0..2^31-1) and method.</summary>
public sealed record CSeq(long Number, string Method);

/// <summary>
/// A SIP or SIPS URI (RFC 3261 §19.1), or a <c>tel:</c> URI (only <see cref="Scheme"/>, <see cref="User"/> as the
/// number, and parameters are set). <see cref="Raw"/> is the URI exactly as received: it is what gets stored and echoed.
/// </summary>
/// <param name="Scheme">Lower-case: <c>sip</c>, <c>sips</c> or <c>tel</c>.</param>
/// <param name="User">The user part as received (still %-escaped), or null when there is none.</param>
/// <param name="Host">As received (a name, an IPv4 address, or an IPv6 reference in brackets).</param>
/// <param name="Headers">What follows <c>?</c>, raw, or null.</param>
public sealed record SipUri(string Scheme, string? User, string? Password, string Host, int? Port, IReadOnlyList<SipParameter> Parameters, string? Headers,
    string Raw)
{
    public override string ToString() => Raw;

    /// <summary>A parameter's value ("" for a bare one), or null when absent. Names compare case-insensitively.</summary>
    public string? Parameter(string name) => SipParameters.Find(Parameters, name);
}

/// <summary>
/// A name-addr or addr-spec (From, To, Contact, ...): an optional display name, the URI, and the header parameters
/// after it (for an addr-spec without &lt;&gt;, everything after the first <c>;</c> is a header parameter, as RFC 3261 §20 says).
/// </summary>
/// <param name="DisplayName">Unquoted (quoted-pair escapes resolved), or null.</param>
/// <param name="Raw">The whole value as received (for echoing From/To in responses).</param>
public sealed record NameAddress(string? DisplayName, SipUri Uri, IReadOnlyList<SipParameter> Parameters, string Raw)
{
    public string? Tag => SipParameters.Find(Parameters, "tag");

    public string? Parameter(string name) => SipParameters.Find(Parameters, name);
}

/// <summary>One Via value: <c>SIP/2.0/UDP host:port;branch=...;received=...;rport</c>.</summary>
/// <param name="Transport">Upper-case: UDP, TCP, TLS, SCTP, WS, WSS.</param>
/// <param name="Raw">The value as received (echoed in responses, with received/rport added by the server).</param>
public sealed record SipVia(string Transport, string Host, int? Port, IReadOnlyList<SipParameter> Parameters, string Raw)
{
    public string? Branch => SipParameters.Find(Parameters, "branch");

    /// <summary>The Via asks for rport (RFC 3581): a bare <c>;rport</c>.</summary>
    public bool WantsRport => Parameters.Any(p => string.Equals(p.Name, "rport", StringComparison.OrdinalIgnoreCase));
}

/// <summary>One Contact value with the parameters a registrar reads.</summary>
/// <param name="Expires">The <c>expires</c> parameter in seconds, or null (a malformed one is a parse error).</param>
/// <param name="Q">The <c>q</c> parameter in thousandths (0..1000), or null (a malformed one, or one above 1, is a parse error).</param>
/// <param name="Instance">The <c>+sip.instance</c> parameter as received (with its quotes and angle brackets), or null.</param>
/// <param name="RegId">The <c>reg-id</c> parameter, or null.</param>
public sealed record ContactValue(NameAddress Address, long? Expires, int? Q, string? Instance, int? RegId)
{
    public SipUri Uri => Address.Uri;
}

/// <summary>Looks up parameters by name, case-insensitively.</summary>
public static class SipParameters
{
    public static string? Find(IReadOnlyList<SipParameter> parameters, string name)
    {
        foreach (var parameter in parameters)
            if (string.Equals(parameter.Name, name, StringComparison.OrdinalIgnoreCase))
                return parameter.Value ?? "";
        return null;
    }
}
