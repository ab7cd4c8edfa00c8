using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace LocationActors.Sip.Parsing;

/// <summary>SIP and SIPS URIs (RFC 3261 §19.1, grammar of §25.1) and a minimal <c>tel:</c> URI (RFC 3966).</summary>
internal static class SipUriParser
{
    private const string Alphanum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    // unreserved = alphanum / mark; mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")". '%' starts an escape,
    // checked separately (two hex digits must follow).
    private const string Unreserved = Alphanum + "-_.!~*'()%";

    /// <summary>user = 1*( unreserved / escaped / user-unreserved ); user-unreserved = "&amp;" / "=" / "+" / "$" / "," / ";" / "?" / "/".</summary>
    private static readonly SearchValues<char> UserChars = SearchValues.Create(Unreserved + "&=+$,;?/");

    /// <summary>password = *( unreserved / escaped / "&amp;" / "=" / "+" / "$" / "," ).</summary>
    private static readonly SearchValues<char> PasswordChars = SearchValues.Create(Unreserved + "&=+$,");

    /// <summary>paramchar = param-unreserved / unreserved / escaped; param-unreserved = "[" / "]" / "/" / ":" / "&amp;" / "+" / "$".</summary>
    private static readonly SearchValues<char> ParamChars = SearchValues.Create(Unreserved + "[]/:&+$");

    /// <summary>hname/hvalue characters: hnv-unreserved / unreserved / escaped, with "=" and "&amp;" as separators.</summary>
    private static readonly SearchValues<char> HeaderChars = SearchValues.Create(Unreserved + "[]/?:+$=&");

    /// <summary>A telephone number: digits, hex digits, "*", "#", a leading "+", and visual separators (RFC 3966 §3).</summary>
    private static readonly SearchValues<char> TelChars = SearchValues.Create("0123456789ABCDEFabcdef*#+-.()");

    private static readonly SearchValues<char> SchemeChars = SearchValues.Create(Alphanum + "+-.");

    /// <summary>Parses <paramref name="raw"/> (which becomes <see cref="SipUri.Raw"/>); null and a reason when it is not a valid URI.</summary>
    public static SipUri? Parse(string raw, out string? error)
    {
        error = null;
        // A URI is printable ASCII: whitespace, controls and non-ASCII must be %-escaped (RFC 3261 §19.1.2).
        if (raw.AsSpan().ContainsAnyExceptInRange('!', '~'))
            return Syntax.Fail<SipUri>(out error, "whitespace or a character that must be escaped");
        var colon = raw.IndexOf(':');
        if (colon <= 0 || !char.IsAsciiLetter(raw[0]) || raw.AsSpan(0, colon).ContainsAnyExcept(SchemeChars))
            return Syntax.Fail<SipUri>(out error, "no scheme");
        var scheme = raw.AsSpan(0, colon);
        if (scheme.Equals("sip", StringComparison.OrdinalIgnoreCase))
            return ParseSip(raw, "sip", colon + 1, out error);
        if (scheme.Equals("sips", StringComparison.OrdinalIgnoreCase))
            return ParseSip(raw, "sips", colon + 1, out error);
        if (scheme.Equals("tel", StringComparison.OrdinalIgnoreCase))
            return ParseTel(raw, colon + 1, out error);
        return Syntax.Fail<SipUri>(out error, $"unsupported URI scheme '{Syntax.Show(scheme)}'");
    }

    // SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]; userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"
    private static SipUri? ParseSip(string raw, string scheme, int p, out string? error)
    {
        error = null;
        string? user = null, password = null;
        // '@' may not appear unescaped in the user, password, parameters or headers, so the first one ends the userinfo.
        var at = raw.IndexOf('@', p);
        if (at >= 0)
        {
            var userinfo = raw.AsSpan(p, at - p);
            var pc = userinfo.IndexOf(':');
            var u = pc < 0 ? userinfo : userinfo[..pc];
            if (u.IsEmpty)
                return Syntax.Fail<SipUri>(out error, "empty user part before '@'");
            if (!IsValid(u, UserChars))
                return Syntax.Fail<SipUri>(out error, $"invalid user part '{Syntax.Show(u)}'");
            if (pc >= 0)
            {
                var pw = userinfo[(pc + 1)..];
                if (!IsValid(pw, PasswordChars))
                    return Syntax.Fail<SipUri>(out error, "invalid password");
                password = new string(pw);
            }
            user = new string(u);
            p = at + 1;
        }

        var hostStart = p;
        if (p < raw.Length && raw[p] == '[')
        {
            var close = raw.IndexOf(']', p);
            if (close < 0)
                return Syntax.Fail<SipUri>(out error, "unterminated IPv6 reference");
            p = close + 1;
        }
        else
        {
            while (p < raw.Length && raw[p] is not (':' or ';' or '?'))
                p++;
        }
        var host = raw.AsSpan(hostStart, p - hostStart);
        if (host.IsEmpty)
            return Syntax.Fail<SipUri>(out error, "missing host");
        if (!IsValidHost(host))
            return Syntax.Fail<SipUri>(out error, $"invalid host '{Syntax.Show(host)}'");

        int? port = null;
        if (p < raw.Length && raw[p] == ':')
        {
            var portStart = ++p;
            while (p < raw.Length && char.IsAsciiDigit(raw[p]))
                p++;
            if (!TryPort(raw.AsSpan(portStart, p - portStart), out var value))
                return Syntax.Fail<SipUri>(out error, $"invalid port '{Syntax.Show(raw.AsSpan(portStart, p - portStart))}' (1..65535)");
            port = value;
        }

        var parameters = ParseParameters(raw, ref p, out error);
        if (parameters is null)
            return null;

        string? headers = null;
        if (p < raw.Length && raw[p] == '?')
        {
            var h = raw.AsSpan(p + 1);
            if (!IsValidHeaders(h))
                return Syntax.Fail<SipUri>(out error, $"invalid URI headers '{Syntax.Show(h)}'");
            headers = new string(h);
            p = raw.Length;
        }
        if (p < raw.Length)
            return Syntax.Fail<SipUri>(out error, $"unexpected '{raw[p]}' after the host");
        return new SipUri(scheme, user, password, new string(host), port, parameters, headers, raw);
    }

    // telephone-subscriber (RFC 3966), minimal: a number, then ;parameters. No host, no port, no headers.
    private static SipUri? ParseTel(string raw, int p, out string? error)
    {
        error = null;
        var start = p;
        while (p < raw.Length && raw[p] != ';')
            p++;
        var number = raw.AsSpan(start, p - start);
        if (number.IsEmpty || number.ContainsAnyExcept(TelChars) || number.LastIndexOf('+') > 0 || number.IndexOfAnyExcept("+-.()") < 0)
            return Syntax.Fail<SipUri>(out error, $"invalid telephone number '{Syntax.Show(number)}'");
        var parameters = ParseParameters(raw, ref p, out error);
        if (parameters is null)
            return null;
        if (p < raw.Length)
            return Syntax.Fail<SipUri>(out error, $"unexpected '{raw[p]}' in a tel URI");
        return new SipUri("tel", new string(number), null, "", null, parameters, null, raw);
    }

    // uri-parameters = *( ";" uri-parameter ); uri-parameter = pname [ "=" pvalue ]; pname = 1*paramchar; pvalue = 1*paramchar
    private static IReadOnlyList<SipParameter>? ParseParameters(string raw, ref int p, out string? error)
    {
        error = null;
        if (p >= raw.Length || raw[p] != ';')
            return [];
        var parameters = new List<SipParameter>(2);
        while (p < raw.Length && raw[p] == ';')
        {
            var nameStart = ++p;
            while (p < raw.Length && raw[p] is not (';' or '?' or '='))
                p++;
            var name = raw.AsSpan(nameStart, p - nameStart);
            if (name.IsEmpty || !IsValid(name, ParamChars))
            {
                error = $"invalid URI parameter '{Syntax.Show(name)}'";
                return null;
            }
            string? value = null;
            if (p < raw.Length && raw[p] == '=')
            {
                var valueStart = ++p;
                while (p < raw.Length && raw[p] is not (';' or '?'))
                    p++;
                var v = raw.AsSpan(valueStart, p - valueStart);
                if (v.IsEmpty || !IsValid(v, ParamChars))
                {
                    error = $"invalid value of URI parameter '{Syntax.Show(name)}'";
                    return null;
                }
                value = new string(v);
            }
            parameters.Add(new SipParameter(new string(name), value));
        }
        return parameters;
    }

    // headers = "?" header *( "&" header ); header = hname "=" hvalue; hname = 1*( hnv-unreserved / unreserved / escaped )
    private static bool IsValidHeaders(ReadOnlySpan<char> h)
    {
        if (h.IsEmpty || !IsValid(h, HeaderChars))
            return false;
        foreach (var range in h.Split('&'))
        {
            var header = h[range];
            var eq = header.IndexOf('=');
            if (eq <= 0)
                return false;
        }
        return true;
    }

    /// <summary>host = hostname / IPv4address / IPv6reference (RFC 3261 §25.1), as it appears in a URI or a Via.</summary>
    public static bool IsValidHost(ReadOnlySpan<char> host)
    {
        if (host.IsEmpty)
            return false;
        if (host[0] == '[')
        {
            // IPv6reference = "[" IPv6address "]"; no zone index ('%' is an escape in a URI).
            if (host.Length < 4 || host[^1] != ']')
                return false;
            var address = host[1..^1];
            return !address.ContainsAnyExcept("0123456789abcdefABCDEF:.") &&
                   IPAddress.TryParse(address, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6;
        }
        if (host.Length > 255 || host.ContainsAnyExcept(Syntax.HostName))
            return false;
        // hostname = *( domainlabel "." ) toplabel [ "." ]; a toplabel starts with a letter, so a last label starting
        // with a digit makes it an IPv4address.
        var name = host[^1] == '.' ? host[..^1] : host;
        var lastDot = name.LastIndexOf('.');
        var top = name[(lastDot + 1)..];
        if (top.IsEmpty)
            return false;
        if (char.IsAsciiDigit(top[0]))
            return IsIPv4(host);
        foreach (var range in name.Split('.'))
        {
            var label = name[range];
            if (label.IsEmpty || label.Length > 63 || label[0] == '-' || label[^1] == '-')
                return false;
        }
        return true;
    }

    // IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each at most 255
    private static bool IsIPv4(ReadOnlySpan<char> host)
    {
        var parts = 0;
        foreach (var range in host.Split('.'))
        {
            var part = host[range];
            if (++parts > 4 || part.Length is 0 or > 3 || !Syntax.TryDigits(part, out var value) || value > 255)
                return false;
        }
        return parts == 4;
    }

    /// <summary>port = 1*DIGIT, 1..65535 (0 is no port a message can be sent to).</summary>
    public static bool TryPort(ReadOnlySpan<char> digits, out int port)
    {
        port = 0;
        if (!Syntax.TryDigits(digits, out var value) || value is < 1 or > 65535)
            return false;
        port = (int)value;
        return true;
    }

    /// <summary>Only characters of <paramref name="allowed"/>, and every '%' followed by two hex digits (escaped).</summary>
    private static bool IsValid(ReadOnlySpan<char> s, SearchValues<char> allowed)
    {
        if (s.ContainsAnyExcept(allowed))
            return false;
        for (var i = s.IndexOf('%'); i >= 0; i = s.IndexOf('%'))
        {
            if (i + 2 >= s.Length || !char.IsAsciiHexDigit(s[i + 1]) || !char.IsAsciiHexDigit(s[i + 2]))
                return false;
            s = s[(i + 3)..];
        }
        return true;
    }

}
