using System.Collections.Frozen;

namespace LocationActors.Sip.Parsing;

/// <summary>The canonical spelling of well-known header names and the compact forms, matched case-insensitively
/// (header names are case-insensitive, RFC 3261 §7.3.1).</summary>
internal static class HeaderNameTable
{
    public const string Via = "Via";
    public const string From = "From";
    public const string To = "To";
    public const string CallId = "Call-ID";
    public const string CSeqName = "CSeq";
    public const string Contact = "Contact";
    public const string ContentLength = "Content-Length";
    public const string Expires = "Expires";
    public const string MaxForwards = "Max-Forwards";

    private static readonly string[] WellKnown =
    [
        // RFC 3261 §20
        "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Authentication-Info", "Authorization",
        CallId, "Call-Info", Contact, "Content-Disposition", "Content-Encoding", "Content-Language", ContentLength,
        "Content-Type", CSeqName, "Date", "Error-Info", Expires, From, "In-Reply-To", MaxForwards, "Min-Expires",
        "MIME-Version", "Organization", "Priority", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Require",
        "Record-Route", "Reply-To", "Require", "Retry-After", "Route", "Server", "Subject", "Supported", "Timestamp", To,
        "Unsupported", "User-Agent", Via, "Warning", "WWW-Authenticate",
        // Extensions a registrar or a proxy meets
        "Path", "Service-Route", "Event", "Allow-Events", "Subscription-State", "Refer-To", "Referred-By",
        "Session-Expires", "Min-SE", "RSeq", "RAck", "Reason", "Privacy", "P-Asserted-Identity",
        "P-Preferred-Identity", "P-Access-Network-Info", "P-Visited-Network-ID", "P-Associated-URI", "Security-Client",
        "Security-Server", "Security-Verify", "SIP-ETag", "SIP-If-Match", "Flow-Timer", "Accept-Contact",
        "Reject-Contact", "Request-Disposition", "Identity", "Replaces", "Join", "Target-Dialog", "History-Info",
    ];

    // Compact forms: RFC 3261 §7.3.3 (i m e l c f s k t v) and later RFCs: o/u (RFC 6665), r (RFC 3515),
    // b (RFC 3892), x (RFC 4028), a/j/d (RFC 3841), y (RFC 8224).
    private static readonly (string Compact, string Name)[] Compact =
    [
        ("i", CallId), ("m", Contact), ("e", "Content-Encoding"), ("l", ContentLength), ("c", "Content-Type"),
        ("f", From), ("s", "Subject"), ("k", "Supported"), ("t", To), ("v", Via), ("o", "Event"), ("r", "Refer-To"),
        ("b", "Referred-By"), ("u", "Allow-Events"), ("x", "Session-Expires"), ("a", "Accept-Contact"),
        ("j", "Reject-Contact"), ("d", "Request-Disposition"), ("y", "Identity"),
    ];

    private static readonly FrozenDictionary<string, string> Names =
        WellKnown.Select(n => KeyValuePair.Create(n, n))
            .Concat(Compact.Select(c => KeyValuePair.Create(c.Compact, c.Name)))
            .ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> SpanLookup =
        Names.GetAlternateLookup<ReadOnlySpan<char>>();

    public static string Canonical(string name) => Names.TryGetValue(name, out var canonical) ? canonical : name;

    /// <summary>The canonical name of a received one, allocating only for a name that is not well known.</summary>
    public static string Canonical(ReadOnlySpan<char> name) => SpanLookup.TryGetValue(name, out var canonical) ? canonical : new string(name);
}
