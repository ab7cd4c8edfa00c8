using LocationActors.Sip.Parsing;

namespace LocationActors.Sip;

/// <summary>
/// The outcome of parsing one message: a request, a response, or an error that says what is wrong. When the message
/// was a request whose header section could be read, <see cref="Headers"/> holds the fields read (so the server can
/// still answer 400 with the request's Via, From, To, Call-ID and CSeq); for garbage it is null and the message is dropped.
/// </summary>
public sealed record SipParseResult(SipRequest? Request, SipResponse? Response, string? Error, string? Method, IReadOnlyList<SipHeader>? Headers)
{
    public bool Ok => Error is null;
}

/// <summary>
/// Parses whole SIP messages (RFC 3261 §7, §25): a UDP datagram, or one frame that <see cref="SipFraming"/> cut from a
/// TCP stream. Strict and total: every input gives a result, never an exception.
/// </summary>
public static class SipParser
{
    /// <summary>The largest message accepted by default (the largest UDP datagram).</summary>
    public const int DefaultMaxMessageSize = 65_535;

    /// <summary>
    /// Parses <paramref name="message"/>. A body longer than Content-Length is cut to it (RFC 3261 §18.3); a shorter
    /// one is an error; a message without Content-Length takes the rest of the datagram as its body.
    /// </summary>
    public static SipParseResult Parse(ReadOnlySpan<byte> message, int maxMessageSize = DefaultMaxMessageSize) =>
        MessageParser.Parse(message, maxMessageSize);
}

/// <summary>One message's place in a stream buffer.</summary>
/// <param name="Start">Bytes to skip first: CRLF keep-alives (RFC 5626) before the message.</param>
/// <param name="Length">The message's length after <see cref="Start"/>; 0 when more bytes are needed.</param>
/// <param name="Error">The stream cannot be framed (no or invalid Content-Length, a header section beyond the size
/// limit): answer 400 if possible and close the connection.</param>
public readonly record struct SipFrame(int Start, int Length, string? Error);

/// <summary>Cuts messages out of a stream (TCP): the header section up to CRLFCRLF, then Content-Length bytes of body.</summary>
public static class SipFraming
{
    public static SipFrame Next(ReadOnlySpan<byte> buffer, int maxMessageSize = SipParser.DefaultMaxMessageSize) =>
        StreamFramer.Next(buffer, maxMessageSize);
}

/// <summary>Header names: compact forms (RFC 3261 §7.3.3 and later RFCs) and canonical spelling, and splitting multi-value fields.</summary>
public static class SipHeaderNames
{
    /// <summary>The canonical name for a received one: <c>m</c> → <c>Contact</c>, <c>call-id</c> → <c>Call-ID</c>, unknown names as received.</summary>
    public static string Canonical(string name) => HeaderNameTable.Canonical(name);

    /// <summary>Splits a field value at commas that are outside quoted strings and &lt;&gt;; values trimmed.</summary>
    public static IReadOnlyList<string> SplitValues(string value) => HeaderValueParser.SplitValues(value);

    /// <summary>One name-addr or addr-spec value (a Path, Route or Contact entry); null when malformed.</summary>
    public static NameAddress? ParseNameAddress(string value) => HeaderValueParser.ParseNameAddress(value, out _);
}
