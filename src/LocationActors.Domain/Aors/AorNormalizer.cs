namespace LocationActors.Domain.Aors;

/// <summary>
/// Turns a SIP URI (the To URI of a REGISTER, the Request-URI of a call) into the <see cref="Aor"/> Kamailio's
/// registrar would build from it (<c>registrar/common.c:extract_aor</c> in Kamailio 5.6): the user part
/// %-unescaped, lower-cased unless case-sensitive, the realm prefix stripped from the domain, the domain kept only
/// with <c>use_domain</c>. Only <c>sip:</c> and <c>sips:</c> URIs name a registrable user.
/// </summary>
public static class AorNormalizer
{
    // Kamailio 5.6.3 registrar.h / common.c limits, on the raw (still escaped) URI parts.
    public const int MaxUserLength = 64;
    public const int MaxHostLength = 128;
    public const int MaxAorLength = 256;

    /// <summary>
    /// An AOR as an operator or a front end names it: a URI (normalised as the registrar would; any scheme but
    /// <c>sip:</c>/<c>sips:</c> is refused), <c>user@domain</c> (the SIP URI it abbreviates), or a bare user,
    /// lower-cased unless case-sensitive. The one reading behind <c>locctl hash</c>, the HTTP API and the SIP front
    /// end, so they agree on a user and its group.
    /// </summary>
    /// <exception cref="AorFormatException">Not an AOR the registrar would accept.</exception>
    public static Aor FromInput(string text, RegistrarOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var trimmed = (text ?? "").Trim();
        if (StartsWithScheme(trimmed))
            return Normalize(trimmed, options);
        if (trimmed.Contains('@'))
            return Normalize("sip:" + trimmed, options);
        return Aor.FromNormalized(options.CaseSensitive ? trimmed : trimmed.ToLowerInvariant(), options);
    }

    /// <summary>RFC 3986's scheme: a letter, then letters, digits, '+', '-' or '.', then ':'.</summary>
    private static bool StartsWithScheme(string text)
    {
        var colon = text.IndexOf(':');
        return colon > 0 && char.IsAsciiLetter(text[0]) && !text.AsSpan(1, colon - 1).ContainsAnyExcept(SchemeCharacters);
    }

    private static readonly System.Buffers.SearchValues<char> SchemeCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");

    public static Aor Normalize(string uri, RegistrarOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(uri))
            throw new AorFormatException(AorError.Empty, uri ?? "", "the URI is empty");

        var rest = StripScheme(uri);
        var at = rest.IndexOf('@');
        if (at < 0)
            throw new AorFormatException(AorError.MissingUser, uri, "the URI has no user part");

        var userInfo = rest[..at];
        var colon = userInfo.IndexOf(':');
        var user = colon < 0 ? userInfo : userInfo[..colon]; // drop a password
        var (host, uriParams) = SplitHost(uri, rest[(at + 1)..]);

        if (HasUserPhone(uriParams))
        {
            // Kamailio's phone2tel (on by default) treats user=phone URIs as tel: and drops the user's ;params.
            var semicolon = user.IndexOf(';');
            if (semicolon >= 0)
                user = user[..semicolon];
        }

        if (user.Length == 0)
            throw new AorFormatException(AorError.MissingUser, uri, "the URI has an empty user part");
        if (user.Length > MaxUserLength || host.Length > MaxHostLength || user.Length + host.Length + 1 > MaxAorLength)
            throw new AorFormatException(AorError.TooLong, uri,
                $"the user part may have at most {MaxUserLength} characters and the host {MaxHostLength}");

        CheckUserCharacters(uri, user);
        var username = Unescape(uri, user);

        if (!options.CaseSensitive)
            username = username.ToLowerInvariant();
        if (!options.UseDomain)
            return Aor.Create(username, null);

        // Kamailio compares the realm prefix byte-wise with the host as written, before lower-casing it.
        var prefix = options.RealmPrefix;
        var domain = prefix.Length > 0 && prefix.Length < host.Length && host.StartsWith(prefix, StringComparison.Ordinal)
            ? host[prefix.Length..]
            : host;
        return Aor.Create(username, domain.ToLowerInvariant());
    }

    private static string StripScheme(string uri)
    {
        if (uri.StartsWith("sip:", StringComparison.OrdinalIgnoreCase))
            return uri[4..];
        if (uri.StartsWith("sips:", StringComparison.OrdinalIgnoreCase))
            return uri[5..];
        throw new AorFormatException(AorError.UnsupportedScheme, uri, "only sip: and sips: URIs name a registrable user");
    }

    /// <summary>
    /// Splits <c>host[:port][;params][?headers]</c> and checks it as Kamailio's <c>parse_uri</c> does: a hostname of
    /// letters, digits, '-' and '.' (not starting with '-' or '.'), or an IPv6 reference in brackets; a numeric port.
    /// </summary>
    private static (string Host, string Params) SplitHost(string uri, string hostPart)
    {
        int end;
        if (hostPart.StartsWith('['))
        {
            end = hostPart.IndexOf(']');
            if (end < 0)
                throw new AorFormatException(AorError.InvalidCharacter, uri, "an IPv6 host lacks its closing ']'");
            end++;
        }
        else
        {
            end = hostPart.IndexOfAny([':', ';', '?']);
            if (end < 0)
                end = hostPart.Length;
        }

        var host = hostPart[..end];
        if (host.Length == 0)
            throw new AorFormatException(AorError.MissingHost, uri, "the URI has no host");
        CheckHost(uri, host);

        var afterHost = hostPart[end..];
        if (afterHost.Contains('@'))
            throw new AorFormatException(AorError.InvalidCharacter, uri, "'@' is not allowed after the host");
        if (afterHost.StartsWith(':'))
        {
            var portEnd = afterHost.IndexOfAny([';', '?']);
            var port = portEnd < 0 ? afterHost[1..] : afterHost[1..portEnd];
            if (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
                throw new AorFormatException(AorError.InvalidCharacter, uri, $"'{port}' is not a port number");
        }

        var paramStart = afterHost.IndexOf(';');
        if (paramStart < 0)
            return (host, "");
        var headers = afterHost.IndexOf('?');
        return (host, headers > paramStart ? afterHost[paramStart..headers] : afterHost[paramStart..]);
    }

    private static void CheckHost(string uri, string host)
    {
        foreach (var c in host)
            if (c > 0x7E)
                throw new AorFormatException(AorError.NonAscii, uri,
                    "non-ASCII characters are not accepted (p_usrloc's partition hash is undefined for them)");

        if (host[0] == '[')
        {
            foreach (var c in host[1..^1])
                if (!(char.IsAsciiHexDigit(c) || c is ':' or '.'))
                    throw new AorFormatException(AorError.InvalidCharacter, uri, $"'{Printable(c)}' is not allowed in an IPv6 host");
            return;
        }

        if (host[0] is '-' or '.')
            throw new AorFormatException(AorError.InvalidCharacter, uri, $"a host cannot start with '{host[0]}'");
        foreach (var c in host)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
                throw new AorFormatException(AorError.InvalidCharacter, uri, $"'{Printable(c)}' is not allowed in a host");
    }

    // Kamailio's phone2tel applies to user=phone exactly: the name in any case, the value "phone" as written.
    private static bool HasUserPhone(string uriParams)
    {
        foreach (var p in uriParams.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = p.IndexOf('=');
            if (eq > 0 && p.AsSpan(0, eq).Equals("user", StringComparison.OrdinalIgnoreCase) && p.AsSpan(eq + 1).SequenceEqual("phone"))
                return true;
        }

        return false;
    }

    // Kamailio's parse_uri takes almost any character in the user part; '[' and ']' are refused, and so are spaces
    // and control characters, which cannot appear in a well-formed SIP header anyway.
    private static void CheckUserCharacters(string uri, string user)
    {
        foreach (var c in user)
        {
            if (c > 0x7E)
                throw new AorFormatException(AorError.NonAscii, uri,
                    "non-ASCII characters are not accepted (p_usrloc's partition hash is undefined for them)");
            if (c <= 0x20 || c is '[' or ']')
                throw new AorFormatException(AorError.InvalidCharacter, uri, $"'{Printable(c)}' is not allowed in a user part");
        }
    }

    /// <summary>Kamailio's <c>un_escape</c>: %XX with two hex digits decoding to printable ASCII (32..126).</summary>
    private static string Unescape(string uri, string user)
    {
        if (!user.Contains('%'))
            return user;
        var result = new System.Text.StringBuilder(user.Length);
        for (var i = 0; i < user.Length; i++)
        {
            if (user[i] != '%')
            {
                result.Append(user[i]);
                continue;
            }

            if (i + 2 >= user.Length)
                throw new AorFormatException(AorError.InvalidEscape, uri, "an escape sequence is cut short");
            var hi = HexValue(user[i + 1]);
            var lo = HexValue(user[i + 2]);
            if (hi < 0 || lo < 0)
                throw new AorFormatException(AorError.InvalidEscape, uri, "an escape sequence has a non-hex digit");
            var value = (hi << 4) + lo;
            if (value is < 32 or > 126)
                throw new AorFormatException(AorError.InvalidEscape, uri, "an escape sequence decodes to a non-printable or non-ASCII character");
            result.Append((char)value);
            i += 2;
        }

        return result.ToString();
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static string Printable(char c) => c < 0x20 || c == 0x7F ? $"\\x{(int)c:x2}" : c.ToString();
}
