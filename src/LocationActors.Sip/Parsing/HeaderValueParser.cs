using System.Text;

namespace LocationActors.Sip.Parsing;

/// <summary>The header values a registrar reads (RFC 3261 §20, §25.1): each method returns null and a reason when the
/// value is malformed.</summary>
internal static class HeaderValueParser
{
    /// <summary>Splits a field at the commas that separate values (RFC 3261 §7.3.1): not inside a quoted string (where a
    /// backslash escapes the next character) nor inside &lt;&gt;. Values are trimmed; empty ones are dropped.</summary>
    public static IReadOnlyList<string> SplitValues(string value)
    {
        var values = new List<string>(1);
        var quoted = false;
        var angle = 0;
        var start = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (quoted)
            {
                if (c == '\\')
                    i++;
                else if (c == '"')
                    quoted = false;
                continue;
            }
            switch (c)
            {
                case '"':
                    quoted = true;
                    break;
                case '<':
                    angle++;
                    break;
                case '>' when angle > 0:
                    angle--;
                    break;
                case ',' when angle == 0:
                    Add(values, value, start, i);
                    start = i + 1;
                    break;
            }
        }
        Add(values, value, start, value.Length);
        return values;

        static void Add(List<string> values, string value, int start, int end)
        {
            var item = Syntax.TrimWs(value.AsSpan(start, end - start));
            if (item.IsEmpty)
                return;
            values.Add(item.Length == value.Length ? value : new string(item));
        }
    }

    /// <summary>
    /// name-addr / addr-spec (RFC 3261 §20.10, §20.20, §20.39): <c>"Display" &lt;uri&gt;;params</c>,
    /// <c>Token Display &lt;uri&gt;;params</c>, <c>&lt;uri&gt;;params</c>, or a bare <c>uri;params</c> where everything
    /// after the first ';' is a header parameter.
    /// </summary>
    public static NameAddress? ParseNameAddress(string value, out string? error)
    {
        error = null;
        var raw = Syntax.Trimmed(value);
        var s = raw.AsSpan();
        if (s.IsEmpty)
            return Syntax.Fail<NameAddress>(out error, "empty value");

        string? display = null;
        int angle;
        if (s[0] == '"')
        {
            var end = Syntax.QuotedEnd(s, 0);
            if (end < 0)
                return Syntax.Fail<NameAddress>(out error, "unterminated quoted display name");
            display = Syntax.Unquote(s[1..(end - 1)]);
            angle = end + (s[end..].Length - s[end..].TrimStart(" \t").Length);
            if (angle >= s.Length || s[angle] != '<')
                return Syntax.Fail<NameAddress>(out error, "expected '<' after the quoted display name");
        }
        else
        {
            angle = Syntax.IndexOutsideQuotes(s, '<');
            if (angle > 0)
            {
                // display-name = *(token LWS) / quoted-string; bytes above 0x7F are let through for the UAs that send
                // UTF-8 names unquoted.
                var text = Syntax.TrimWs(s[..angle]);
                foreach (var c in text)
                    if (!Syntax.Token.Contains(c) && !Syntax.IsWs(c) && c < 0x80)
                        return Syntax.Fail<NameAddress>(out error, "display name is neither tokens nor a quoted string");
                display = text.IsEmpty ? null : new string(text);
            }
        }

        ReadOnlySpan<char> uriText, rest;
        if (angle >= 0)
        {
            var close = s[(angle + 1)..].IndexOf('>');
            if (close < 0)
                return Syntax.Fail<NameAddress>(out error, "missing '>'");
            uriText = s.Slice(angle + 1, close);
            rest = s[(angle + close + 2)..];
        }
        else
        {
            // addr-spec: RFC 3261 §20 — a URI with a comma, '?' or ';' must be in <>, so the first ';' starts the
            // header parameters.
            var semi = s.IndexOf(';');
            uriText = Syntax.TrimWs(semi < 0 ? s : s[..semi]);
            rest = semi < 0 ? default : s[semi..];
            if (uriText.Contains('?'))
                return Syntax.Fail<NameAddress>(out error, "a URI with headers ('?') must be enclosed in <>");
        }

        var uri = SipUriParser.Parse(uriText.ToString(), out error);
        if (uri is null)
            return null;
        var parameters = ParseHeaderParameters(rest, out error);
        if (parameters is null)
            return null;
        return new NameAddress(display, uri, parameters, raw);
    }

    /// <summary>*( SEMI generic-param ); generic-param = token [ EQUAL gen-value ]; gen-value = token / host /
    /// quoted-string. SEMI and EQUAL allow whitespace around them. Quoted values keep their quotes.</summary>
    public static IReadOnlyList<SipParameter>? ParseHeaderParameters(ReadOnlySpan<char> s, out string? error)
    {
        error = null;
        var cursor = new Cursor(s);
        cursor.SkipWs();
        if (cursor.End)
            return [];
        var parameters = new List<SipParameter>(2);
        while (true)
        {
            cursor.SkipWs();
            if (cursor.End)
                return parameters;
            if (!cursor.TryTake(';'))
                return Syntax.Fail<IReadOnlyList<SipParameter>>(out error, $"unexpected '{cursor.Peek}' where a ';' parameter was expected");
            cursor.SkipWs();
            var name = cursor.Take(Syntax.Token);
            if (name.IsEmpty)
                return Syntax.Fail<IReadOnlyList<SipParameter>>(out error, "empty parameter name");
            cursor.SkipWs();
            string? value = null;
            if (cursor.TryTake('='))
            {
                cursor.SkipWs();
                var v = cursor.Peek == '"' ? cursor.TakeQuoted() : cursor.Take(Syntax.ParamValue);
                if (v.IsEmpty)
                    return Syntax.Fail<IReadOnlyList<SipParameter>>(out error, $"parameter '{Syntax.Show(name)}' has no valid value");
                value = new string(v);
            }
            parameters.Add(new SipParameter(new string(name), value));
        }
    }

    /// <summary>
    /// via-parm = sent-protocol LWS sent-by *( SEMI via-params ) (RFC 3261 §20.42); sent-protocol = "SIP" SLASH "2.0"
    /// SLASH transport, where SLASH and the COLON of sent-by allow whitespace around them (RFC 4475 §3.1.1.1).
    /// </summary>
    public static SipVia? ParseVia(string value, out string? error)
    {
        error = null;
        var cursor = new Cursor(value);
        cursor.SkipWs();
        var protocol = cursor.Take(Syntax.Token);
        cursor.SkipWs();
        var slash1 = cursor.TryTake('/');
        cursor.SkipWs();
        var version = cursor.Take(Syntax.Token);
        cursor.SkipWs();
        var slash2 = cursor.TryTake('/');
        cursor.SkipWs();
        var transport = cursor.Take(Syntax.Token);
        if (!slash1 || !slash2 || transport.IsEmpty)
            return Syntax.Fail<SipVia>(out error, "expected SIP/2.0/transport");
        if (!protocol.Equals("SIP", StringComparison.OrdinalIgnoreCase) || !version.SequenceEqual("2.0"))
            return Syntax.Fail<SipVia>(out error, $"unsupported protocol '{Syntax.Show(protocol)}/{Syntax.Show(version)}'");
        if (cursor.SkipWs() == 0)
            return Syntax.Fail<SipVia>(out error, "expected whitespace before the sent-by host");

        // host = hostname / IPv4address / IPv6reference; the bracketed one is taken whole.
        var host = cursor.Peek == '[' && cursor.TryTakeUntil(']', out var bracketed) ? $"{bracketed}]" : new string(cursor.Take(Syntax.HostName));
        if (!SipUriParser.IsValidHost(host))
            return Syntax.Fail<SipVia>(out error, host.Length == 0 ? "missing sent-by host" : $"invalid host '{Syntax.Show(host)}'");
        int? port = null;
        cursor.SkipWs();
        if (cursor.TryTake(':'))
        {
            cursor.SkipWs();
            var digits = cursor.Take(Syntax.Digits);
            if (!SipUriParser.TryPort(digits, out var p))
                return Syntax.Fail<SipVia>(out error, $"invalid port '{Syntax.Show(digits)}' (1..65535)");
            port = p;
        }
        var parameters = ParseHeaderParameters(cursor.Rest, out error);
        if (parameters is null)
            return null;
        // response-port = "rport" [EQUAL 1*DIGIT] (RFC 3581 §3)
        var rport = SipParameters.Find(parameters, "rport");
        if (rport is { Length: > 0 } && !SipUriParser.TryPort(rport, out _))
            return Syntax.Fail<SipVia>(out error, $"invalid rport '{Syntax.Show(rport)}'");
        return new SipVia(Transport(transport), host, port, parameters, Syntax.Trimmed(value));
    }

    /// <summary>
    /// One Contact value (RFC 3261 §20.10) with the parameters a registrar reads: expires (delta-seconds, clamped to
    /// 2^32-1), q (qvalue in thousandths), +sip.instance (RFC 5626, raw) and reg-id (RFC 5626: 1..2^31-1).
    /// RFC 3261 lets a malformed expires count as 3600; here it is an error, so that a broken UA is told.
    /// </summary>
    public static ContactValue? ParseContact(string value, out string? error)
    {
        var address = ParseNameAddress(value, out error);
        if (address is null)
            return null;
        long? expires = null;
        int? q = null, regId = null;
        if (address.Parameter("expires") is { } e)
        {
            if (!Syntax.TryDeltaSeconds(e, out var seconds))
                return Syntax.Fail<ContactValue>(out error, $"expires '{Syntax.Show(e)}' is not delta-seconds");
            expires = seconds;
        }
        if (address.Parameter("q") is { } qv)
        {
            if (!TryQValue(qv, out var thousandths))
                return Syntax.Fail<ContactValue>(out error, $"q '{Syntax.Show(qv)}' is not a qvalue 0..1 with at most 3 decimals");
            q = thousandths;
        }
        if (address.Parameter("reg-id") is { } r)
        {
            if (!Syntax.TryDigits(r, out var id) || id is < 1 or > int.MaxValue)
                return Syntax.Fail<ContactValue>(out error, $"reg-id '{Syntax.Show(r)}' is not 1..2147483647");
            regId = (int)id;
        }
        return new ContactValue(address, expires, q, address.Parameter("+sip.instance"), regId);
    }

    /// <summary>qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) (RFC 3261 §25.1), in thousandths.</summary>
    public static bool TryQValue(ReadOnlySpan<char> s, out int thousandths)
    {
        thousandths = 0;
        if (s.IsEmpty || s[0] is not ('0' or '1'))
            return false;
        var value = (s[0] - '0') * 1000;
        if (s.Length > 1)
        {
            var fraction = s[2..];
            if (s[1] != '.' || fraction.Length > 3 || fraction.ContainsAnyExcept(Syntax.Digits))
                return false;
            var scale = 100;
            foreach (var digit in fraction)
            {
                value += (digit - '0') * scale;
                scale /= 10;
            }
        }
        thousandths = value;
        return value <= 1000;
    }

    /// <summary>CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16); the number is below 2^31 (§8.1.1.5).</summary>
    public static CSeq? ParseCSeq(string value, out string? error)
    {
        error = null;
        var cursor = new Cursor(value);
        cursor.SkipWs();
        var digits = cursor.Take(Syntax.Digits);
        if (!Syntax.TryDigits(digits, out var number))
            return Syntax.Fail<CSeq>(out error, "no sequence number");
        if (number > int.MaxValue)
            return Syntax.Fail<CSeq>(out error, "sequence number above 2^31-1");
        if (cursor.SkipWs() == 0)
            return Syntax.Fail<CSeq>(out error, "expected whitespace between the number and the method");
        var method = cursor.Take(Syntax.Token);
        cursor.SkipWs();
        if (method.IsEmpty || !cursor.End)
            return Syntax.Fail<CSeq>(out error, "the method is not a token");
        return new CSeq(number, Methods.Intern(method));
    }

    /// <summary>Call-ID = word [ "@" word ] (RFC 3261 §20.8).</summary>
    public static bool IsCallId(ReadOnlySpan<char> s)
    {
        var at = s.IndexOf('@');
        var local = at < 0 ? s : s[..at];
        ReadOnlySpan<char> domain = at < 0 ? "x" : s[(at + 1)..];
        return !local.IsEmpty && !domain.IsEmpty && !local.ContainsAnyExcept(Syntax.Word) && !domain.ContainsAnyExcept(Syntax.Word);
    }

    private static string Transport(ReadOnlySpan<char> transport)
    {
        foreach (var known in (ReadOnlySpan<string>)["UDP", "TCP", "TLS", "SCTP", "WS", "WSS"])
            if (transport.Equals(known, StringComparison.OrdinalIgnoreCase))
                return known;
        return transport.ToString().ToUpperInvariant();
    }





}

/// <summary>The methods of RFC 3261 and its common extensions, to return the same string instance for each.</summary>
internal static class Methods
{
    private static readonly string[] Known =
        ["REGISTER", "INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "SUBSCRIBE", "NOTIFY", "PUBLISH", "MESSAGE", "INFO", "PRACK", "UPDATE", "REFER"];

    /// <summary>Methods are case-sensitive (RFC 3261 §7.1): <c>register</c> is another, unknown, method.</summary>
    public static string Intern(ReadOnlySpan<char> method)
    {
        foreach (var known in Known)
            if (method.SequenceEqual(known))
                return known;
        return method.ToString();
    }

    public static string Intern(ReadOnlySpan<byte> method)
    {
        foreach (var known in Known)
            if (Ascii.Equals(method, known))
                return known;
        return Encoding.Latin1.GetString(method);
    }
}
