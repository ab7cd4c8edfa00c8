using System.Text;
using static LocationActors.Sip.Parsing.HeaderNameTable;

namespace LocationActors.Sip.Parsing;

/// <summary>
/// Whole messages (RFC 3261 §7): the start line, the header section, the typed headers of a request, and the body.
/// Every index is bounds-checked against the span and every number saturates, so no input throws.
/// </summary>
internal static class MessageParser
{
    public static SipParseResult Parse(ReadOnlySpan<byte> message, int maxMessageSize)
    {
        // Refused before reading anything, so the size limit also bounds the work: no method or headers are returned.
        if (message.Length > maxMessageSize)
            return Garbage($"message larger than {maxMessageSize} bytes");
        // RFC 3261 §7.5: CRLFs before the start line are ignored (they are also RFC 5626 keep-alives).
        var first = message.IndexOfAnyExcept("\r\n"u8);
        if (first < 0)
            return Garbage("empty message");
        var data = message[first..];

        var lineEnd = data.IndexOf((byte)'\n');
        var line = lineEnd < 0 ? data : data[..lineEnd];
        if (!line.IsEmpty && line[^1] == '\r')
            line = line[..^1];
        if (line.Length > HeaderSection.MaxFieldLength)
            return Garbage($"start line longer than {HeaderSection.MaxFieldLength} bytes");
        var start = StartLine.Parse(line, out var startError);
        if (startError is not null)
            return Garbage(startError);

        var sectionEnd = HeaderSection.FindEnd(data, out var fieldsEnd);
        if (sectionEnd < 0)
            return new SipParseResult(null, null, "header section not ended by an empty line (truncated message?)", start.Method, null);
        var headers = new List<SipHeader>();
        var headerError = HeaderSection.Split(data[(lineEnd + 1)..fieldsEnd], headers);
        if (headerError is not null)
            return new SipParseResult(null, null, headerError, start.Method, null);

        var after = data[sectionEnd..];
        if (start.Method is null)
        {
            var bodyError = CutBody(headers, after, out var responseBody);
            return bodyError is null
                ? new SipParseResult(null, new SipResponse(start.StatusCode, start.Reason!, headers, responseBody), null, null, null)
                : Garbage(bodyError);
        }
        var request = BuildRequest(start, headers, after, out var error);
        return request is not null
            ? new SipParseResult(request, null, null, request.Method, headers)
            : new SipParseResult(null, null, error, start.Method, headers);
    }

    /// <summary>Not a SIP message, or one that cannot be answered: nothing but the reason.</summary>
    private static SipParseResult Garbage(string error) => new(null, null, error, null, null);

    /// <summary>The typed request, checked in a fixed order: start line, Request-URI, the header fields in the order
    /// received, the mandatory ones (RFC 3261 §8.1.1), Contact *, then Content-Length and the body.</summary>
    private static SipRequest? BuildRequest(in StartLine start, List<SipHeader> headers, ReadOnlySpan<byte> after, out string? error)
    {
        error = start.RequestLineError;
        if (error is not null)
            return null;
        var method = start.Method!;
        var requestUri = SipUriParser.Parse(start.RequestUri!, out var uriError);
        if (requestUri is null)
            return Syntax.Fail<SipRequest>(out error, $"invalid Request-URI '{Syntax.Show(start.RequestUri!)}': {uriError}");

        var via = new List<SipVia>(2);
        var contacts = new List<ContactValue>();
        NameAddress? from = null, to = null;
        string? callId = null;
        CSeq? cseq = null;
        long? expires = null;
        var stars = 0;
        var seenMaxForwards = false;
        foreach (var header in headers)
        {
            var value = header.Value;
            switch (header.Name)
            {
                case Via:
                    if (value.Length == 0)
                        return Syntax.Fail<SipRequest>(out error, "invalid Via '': empty");
                    foreach (var item in HeaderValueParser.SplitValues(value))
                    {
                        var v = HeaderValueParser.ParseVia(item, out var reason);
                        if (v is null)
                            return Invalid(out error, Via, item, reason);
                        via.Add(v);
                    }
                    break;
                case From:
                    from = SingleAddress(header, from, out error);
                    if (from is null)
                        return null;
                    break;
                case To:
                    to = SingleAddress(header, to, out error);
                    if (to is null)
                        return null;
                    break;
                case CallId:
                    if (callId is not null)
                        return Syntax.Fail<SipRequest>(out error, "more than one Call-ID");
                    if (!HeaderValueParser.IsCallId(value))
                        return Invalid(out error, CallId, value, "not word[@word]");
                    callId = value;
                    break;
                case CSeqName:
                    if (cseq is not null)
                        return Syntax.Fail<SipRequest>(out error, "more than one CSeq");
                    cseq = HeaderValueParser.ParseCSeq(value, out var cseqError);
                    if (cseq is null)
                        return Invalid(out error, CSeqName, value, cseqError);
                    break;
                case MaxForwards:
                    // Max-Forwards = 1*DIGIT, 0..255 (RFC 3261 §20.22)
                    if (seenMaxForwards)
                        return Syntax.Fail<SipRequest>(out error, "more than one Max-Forwards");
                    seenMaxForwards = true;
                    if (!Syntax.TryDigits(value, out var hops) || hops > 255)
                        return Invalid(out error, MaxForwards, value, "not 0..255");
                    break;
                case Expires:
                    // Expires = delta-seconds (RFC 3261 §20.19), clamped to 2^32-1 (see Syntax.TryDeltaSeconds)
                    if (expires is not null)
                        return Syntax.Fail<SipRequest>(out error, "more than one Expires");
                    if (!Syntax.TryDeltaSeconds(value, out var seconds))
                        return Invalid(out error, Expires, value, "not delta-seconds");
                    expires = seconds;
                    break;
                case Contact:
                    // Contact = STAR / contact-param *(COMMA contact-param) (RFC 3261 §20.10)
                    if (value.Length == 0)
                        return Syntax.Fail<SipRequest>(out error, "invalid Contact '': empty");
                    foreach (var item in HeaderValueParser.SplitValues(value))
                    {
                        if (item == "*")
                        {
                            stars++;
                            continue;
                        }
                        var contact = HeaderValueParser.ParseContact(item, out var reason);
                        if (contact is null)
                            return Invalid(out error, Contact, item, reason);
                        contacts.Add(contact);
                    }
                    break;
            }
        }

        if (via.Count == 0)
            return Syntax.Fail<SipRequest>(out error, "missing Via");
        if (from is null)
            return Syntax.Fail<SipRequest>(out error, "missing From");
        if (to is null)
            return Syntax.Fail<SipRequest>(out error, "missing To");
        if (callId is null)
            return Syntax.Fail<SipRequest>(out error, "missing Call-ID");
        if (cseq is null)
            return Syntax.Fail<SipRequest>(out error, "missing CSeq");
        // RFC 3261 §8.2.2.3 / §12.2.2: the CSeq method equals the request method (for ACK and CANCEL too, §17.1.1.3, §9.1).
        if (cseq.Method != method)
            return Syntax.Fail<SipRequest>(out error, $"CSeq method {cseq.Method} does not match request method {method}");
        if (stars > 1 || (stars == 1 && contacts.Count > 0))
            return Syntax.Fail<SipRequest>(out error, "Contact * must be the only Contact value (RFC 3261 §10.2.2)");

        var bodyError = CutBody(headers, after, out var body);
        if (bodyError is not null)
            return Syntax.Fail<SipRequest>(out error, bodyError);
        return new SipRequest(method, requestUri, via, from, to, callId, cseq, contacts, stars == 1, expires, headers, body);
    }

    /// <summary>From or To: exactly one name-addr / addr-spec in the whole message (RFC 4475 §3.1.2.19).</summary>
    private static NameAddress? SingleAddress(SipHeader header, NameAddress? seen, out string? error)
    {
        error = null;
        if (seen is not null || HeaderValueParser.SplitValues(header.Value).Count > 1)
            return Syntax.Fail<NameAddress>(out error, $"more than one {header.Name}");
        var address = HeaderValueParser.ParseNameAddress(header.Value, out var reason);
        if (address is null)
            error = $"invalid {header.Name} '{Syntax.Show(header.Value)}': {reason}";
        return address;
    }

    /// <summary>
    /// The body: Content-Length bytes of what follows the header section (RFC 3261 §18.3: extra bytes of a datagram are
    /// discarded, fewer is an error); without Content-Length, the rest of the datagram (§20.14: optional on UDP).
    /// </summary>
    private static string? CutBody(List<SipHeader> headers, ReadOnlySpan<byte> after, out ReadOnlyMemory<byte> body)
    {
        body = ReadOnlyMemory<byte>.Empty;
        string? contentLength = null;
        foreach (var header in headers)
        {
            if (header.Name != ContentLength)
                continue;
            if (contentLength is not null)
                return "more than one Content-Length";
            contentLength = header.Value;
        }
        var length = after.Length;
        if (contentLength is not null)
        {
            if (ParseContentLength(contentLength, out var declared) is { } error)
                return error;
            if (declared > after.Length)
                return $"Content-Length {declared} but only {after.Length} bytes of body";
            length = declared;
        }
        if (length > 0)
            body = after[..length].ToArray();
        return null;
    }

    /// <summary>Content-Length = 1*DIGIT (RFC 3261 §20.14); null when valid.</summary>
    public static string? ParseContentLength(ReadOnlySpan<char> value, out int length)
    {
        length = 0;
        if (!Syntax.TryDigits(value, out var n))
            return $"invalid Content-Length '{Syntax.Show(value)}': not a number";
        if (n > int.MaxValue)
            return $"invalid Content-Length '{Syntax.Show(value)}': too large";
        length = (int)n;
        return null;
    }

    private static SipRequest? Invalid(out string? error, string name, string value, string? reason)
    {
        error = $"invalid {name} '{Syntax.Show(value)}': {reason}";
        return null;
    }


}

/// <summary>
/// A start line (RFC 3261 §7.1, §7.2). A line is a request line when it is <c>token SP ... SP SIP/...</c>; anything
/// else that is not a status line is garbage. A request line with a bad version or extra whitespace is still a request
/// (the server can answer 400 or 505), so those problems are kept in <see cref="RequestLineError"/>.
/// </summary>
internal readonly record struct StartLine(string? Method, string? RequestUri, string? RequestLineError, int StatusCode, string? Reason)
{
    public static StartLine Parse(ReadOnlySpan<byte> line, out string? error)
    {
        error = null;
        foreach (var b in line)
        {
            if (b is < 0x20 and not (byte)'\t' or 0x7F)
            {
                error = $"invalid start line: control character 0x{b:X2}";
                return default;
            }
        }
        if (line.Length >= 4 && Ascii.EqualsIgnoreCase(line[..4], "SIP/"u8))
            return ParseStatusLine(line, out error);

        // Request-Line = Method SP Request-URI SP SIP-Version CRLF
        var trimmed = line.TrimEnd((byte)' ');
        var sp1 = trimmed.IndexOf((byte)' ');
        var sp2 = trimmed.LastIndexOf((byte)' ');
        if (sp1 <= 0 || sp2 == sp1)
        {
            error = "invalid start line: neither 'METHOD Request-URI SIP/2.0' nor 'SIP/2.0 code reason'";
            return default;
        }
        var method = trimmed[..sp1];
        var version = trimmed[(sp2 + 1)..];
        if (method.ContainsAnyExcept(Syntax.TokenBytes))
        {
            error = "invalid start line: the method is not a token";
            return default;
        }
        if (version.Length < 4 || !Ascii.EqualsIgnoreCase(version[..4], "SIP/"u8))
        {
            error = "invalid start line: not a SIP request";
            return default;
        }
        var uri = trimmed[(sp1 + 1)..sp2];
        string? lineError = null;
        if (trimmed.Length != line.Length || uri.IsEmpty || uri.Contains((byte)' '))
            lineError = "malformed Request-Line: its elements must be separated by single spaces";
        else if (!Ascii.EqualsIgnoreCase(version, "SIP/2.0"u8))
            lineError = $"unsupported SIP version '{Syntax.Show(Encoding.Latin1.GetString(version))}'";
        return new StartLine(Methods.Intern(method), Encoding.Latin1.GetString(uri), lineError, 0, null);
    }

    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF; Status-Code = 3DIGIT, 1xx..6xx (§7.2).
    private static StartLine ParseStatusLine(ReadOnlySpan<byte> line, out string? error)
    {
        error = null;
        if (line.Length < 11 || !Ascii.EqualsIgnoreCase(line[..8], "SIP/2.0 "u8))
        {
            error = "invalid status line: expected 'SIP/2.0 code reason'";
            return default;
        }
        var code = line[8..11];
        if (code.ContainsAnyExceptInRange((byte)'0', (byte)'9') || code[0] is < (byte)'1' or > (byte)'6')
        {
            error = "invalid status line: the status code is not 100..699";
            return default;
        }
        // The SP before an empty reason is tolerated missing: responses are only ever ignored.
        if (line.Length > 11 && line[11] != ' ')
        {
            error = "invalid status line: expected SP after the status code";
            return default;
        }
        var status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
        var reason = line.Length > 12 ? Encoding.Latin1.GetString(line[12..]) : "";
        return new StartLine(null, null, null, status, reason);
    }
}
