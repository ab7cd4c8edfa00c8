using System.Text;

namespace LocationActors.Sip.Tests;

public static partial class SipCorpus
{
    private static void AddMalformed(Builder c)
    {
        AddGarbage(c);
        AddBrokenHeaderSections(c);
        AddBadRequestLines(c);
        AddMissingAndRepeated(c);
        AddBadTypedHeaders(c);
        AddBadContacts(c);
        AddBadContentLength(c);
    }

    /// <summary>No SIP start line: nothing to answer, the message is dropped.</summary>
    private static void AddGarbage(Builder c)
    {
        c.Bad("garbage/empty", [], "empty message", Answer.Drop);
        c.Bad("garbage/only-crlf-keepalive", "\r\n\r\n"u8.ToArray(), "empty message", Answer.Drop);
        c.Bad("garbage/all-byte-values", Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), "control character 0x00", Answer.Drop);
        c.Bad("garbage/high-bytes", Enumerable.Range(0x80, 0x80).Select(i => (byte)i).Concat("\r\n\r\n"u8.ToArray()).ToArray(), "invalid start line", Answer.Drop);
        c.Bad("garbage/nul-in-request-line", Msg.Register().StartLine("REGISTER sip:registrar.example.com\0 SIP/2.0"), "invalid start line: control character 0x00", Answer.Drop);
        c.Bad("garbage/tab-separated-request-line", Msg.Register().StartLine("REGISTER\tsip:registrar.example.com\tSIP/2.0"), "invalid start line", Answer.Drop);
        c.Bad("garbage/http-request", Utf8("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"), "not a SIP request", Answer.Drop);
        c.Bad("garbage/one-word", Utf8("REGISTER\r\n\r\n"), "invalid start line", Answer.Drop);
        c.Bad("garbage/no-version", Msg.Register().StartLine("REGISTER sip:registrar.example.com"), "invalid start line", Answer.Drop);
        c.Bad("garbage/method-not-a-token", Msg.Register().StartLine("REG@STER sip:registrar.example.com SIP/2.0"), "method is not a token", Answer.Drop);
        c.Bad("garbage/start-line-over-8k", Msg.Register().StartLine($"REGISTER sip:{new string('a', 9000)}@example.com SIP/2.0"), "start line longer than 8192 bytes", Answer.Drop);
        c.Bad("garbage/status-code-4-digits", Msg.Response("SIP/2.0 2000 OK"), "invalid status line", Answer.Drop);
        c.Bad("garbage/status-code-below-100", Msg.Response("SIP/2.0 099 Odd"), "status code is not 100..699", Answer.Drop);
        c.Bad("garbage/status-code-700", Msg.Response("SIP/2.0 700 Odd"), "status code is not 100..699", Answer.Drop);
        c.Bad("garbage/status-code-letters", Msg.Response("SIP/2.0 abc OK"), "status code is not 100..699", Answer.Drop);
        c.Bad("garbage/status-line-version-3", Msg.Response("SIP/3.0 200 OK"), "invalid status line", Answer.Drop);
        c.Bad("garbage/larger-than-limit", Msg.Register(), "message larger than 100 bytes", Answer.Drop, maxSize: 100);
        c.Bad("response/bad-content-length", Msg.Response("SIP/2.0 200 OK").Set("Content-Length", "ten"), "invalid Content-Length 'ten'", Answer.Drop);
        c.Bad("response/body-shorter-than-content-length", Msg.Response("SIP/2.0 200 OK").Set("Content-Length", "10").WithRawBody("short"),
            "Content-Length 10 but only 5 bytes of body", Answer.Drop);
        c.Bad("response/control-character-in-header", Msg.Response("SIP/2.0 200 OK").Add("Subject: \u0007"), "control character 0x07", Answer.Drop);
    }

    /// <summary>A request line was read but the header section cannot be split into fields.</summary>
    private static void AddBrokenHeaderSections(Builder c)
    {
        var register = Msg.Register().Text;
        c.Bad("truncated/no-empty-line", Utf8(register[..^2]), "header section not ended by an empty line", Answer.MethodOnly);
        c.Bad("truncated/mid-header", Utf8(register[..(register.Length / 2)]), "header section not ended by an empty line", Answer.MethodOnly);
        c.Bad("truncated/start-line-only", Utf8("REGISTER sip:registrar.example.com SIP/2.0\r\n"), "header section not ended", Answer.MethodOnly);
        c.Bad("truncated/no-line-end-at-all", Utf8("REGISTER sip:registrar.example.com SIP/2.0"), "header section not ended", Answer.MethodOnly);
        c.Bad("header/nul-byte-in-value", Msg.Register().Add("Subject: a\0b"), "control character 0x00 in header section (Subject)", Answer.MethodOnly);
        c.Bad("header/control-0x01", Msg.Register().Add("X-A: \u0001"), "control character 0x01", Answer.MethodOnly);
        c.Bad("header/del-0x7f", Msg.Register().Add("X-A: a\u007Fb"), "control character 0x7F", Answer.MethodOnly);
        c.Bad("header/bare-cr", Msg.Register().Add("Subject: a\rb"), "control character 0x0D", Answer.MethodOnly);
        c.Bad("header/escape-in-name", Msg.Register().Add("X-\u001B: a"), "control character 0x1B", Answer.MethodOnly);
        c.Bad("header/line-without-colon", Msg.Register().Add("This is not a header"), "header line without ':' 'This is not a header'", Answer.MethodOnly);
        c.Bad("header/empty-name", Msg.Register().Add(": value"), "invalid header name ''", Answer.MethodOnly);
        c.Bad("header/space-inside-name", Msg.Register().Add("Max Forwards: 70"), "invalid header name 'Max Forwards'", Answer.MethodOnly);
        c.Bad("header/non-ascii-name", Msg.Register().Add("Vía: SIP/2.0/UDP h"), "invalid header name", Answer.MethodOnly);
        c.Bad("header/fold-before-first-header", Msg.Register().StartLine("REGISTER sip:registrar.example.com SIP/2.0\r\n folded"), "folded line before the first header field",
            Answer.MethodOnly);
        c.Bad("huge/header-line-over-8k", Msg.Register().Add("X-Big: " + new string('a', 9000)), "header line longer than 8192 bytes (X-Big)", Answer.MethodOnly);
        c.Bad("huge/header-line-one-byte-over-8k", Msg.Register().Add("X-Big: " + new string('a', 8192 - 6)), "header line longer than 8192 bytes", Answer.MethodOnly);
        c.Bad("huge/folded-header-over-8k", Msg.Register().Add("X-Folded: " + string.Join("\r\n ", Enumerable.Repeat(new string('b', 100), 90))),
            "header line longer than 8192 bytes (X-Folded)", Answer.MethodOnly);
        c.Bad("huge/257-fields", Msg.Register().Add(Enumerable.Range(0, 248).Select(i => $"X-Filler-{i}: {i}").ToArray()), "more than 256 header fields", Answer.MethodOnly);
        c.Bad("huge/20000-tiny-fields", Msg.Register().Add(Enumerable.Repeat("a:", 20000).ToArray()), "more than 256 header fields", Answer.MethodOnly, maxSize: 1 << 20);
    }

    /// <summary>Recognisably a SIP request, but the request line is wrong: the server can answer (400, 416, 505).</summary>
    private static void AddBadRequestLines(Builder c)
    {
        c.Bad("request-line/sip-version-3", Msg.Register().StartLine("REGISTER sip:registrar.example.com SIP/3.0"), "unsupported SIP version 'SIP/3.0'");
        c.Bad("request-line/sip-version-2.1", Msg.Register().StartLine("REGISTER sip:registrar.example.com SIP/2.1"), "unsupported SIP version 'SIP/2.1'");
        c.Bad("request-line/double-space", Msg.Register().StartLine("REGISTER  sip:registrar.example.com SIP/2.0"), "malformed Request-Line");
        c.Bad("request-line/trailing-space", Msg.Register().StartLine("REGISTER sip:registrar.example.com SIP/2.0 "), "malformed Request-Line");
        c.Bad("request-line/space-inside-uri", Msg.Register().StartLine("REGISTER sip:registrar.example.com; lr SIP/2.0"), "malformed Request-Line");

        foreach (var (name, uri, reason) in new[]
                 {
                     ("http-scheme", "http://example.com/", "unsupported URI scheme 'http'"),
                     ("mailto-scheme", "mailto:alice@example.com", "unsupported URI scheme 'mailto'"),
                     ("no-scheme", "alice.example.com", "no scheme"),
                     ("no-host", "sip:", "missing host"),
                     ("empty-user", "sip:@example.com", "empty user part"),
                     ("nothing-after-at", "sip:alice@", "missing host"),
                     ("unterminated-ipv6", "sip:alice@[2001:db8::1", "unterminated IPv6 reference"),
                     ("bad-ipv6", "sip:alice@[2001:db8::g]", "invalid host '[2001:db8::g]'"),
                     ("ipv6-zone-index", "sip:alice@[fe80::1%25eth0]", "invalid host"),
                     ("unbracketed-ipv6", "sip:2001:db8::1", "invalid host '2001'"),
                     ("port-0", "sip:alice@example.com:0", "invalid port '0'"),
                     ("port-65536", "sip:alice@example.com:65536", "invalid port '65536'"),
                     ("empty-port", "sip:alice@example.com:", "invalid port ''"),
                     ("port-with-letters", "sip:alice@example.com:50a", "unexpected 'a' after the host"),
                     ("ipv4-octet-256", "sip:alice@256.1.1.1", "invalid host '256.1.1.1'"),
                     ("ipv4-three-octets", "sip:alice@192.0.2", "invalid host"),
                     ("label-starts-with-hyphen", "sip:alice@-bad.example.com", "invalid host"),
                     ("underscore-in-host", "sip:alice@ho_st.example.com", "invalid host"),
                     ("empty-param-name", "sip:alice@example.com;=x", "invalid URI parameter"),
                     ("empty-param-value", "sip:alice@example.com;transport=", "invalid value of URI parameter 'transport'"),
                     ("bad-escape", "sip:al%ZZice@example.com", "invalid user part"),
                     ("truncated-escape", "sip:alice%4@example.com", "invalid user part"),
                     ("empty-headers", "sip:alice@example.com?", "invalid URI headers"),
                     ("header-without-value", "sip:alice@example.com?subject", "invalid URI headers"),
                     ("junk-after-ipv6", "sip:alice@[::1]x", "unexpected 'x' after the host"),
                     ("empty-tel", "tel:", "invalid telephone number"),
                     ("tel-with-letters", "tel:call-me", "invalid telephone number"),
                 })
            c.Bad($"request-uri/{name}", Msg.Register().StartLine($"REGISTER {uri} SIP/2.0"), $"invalid Request-URI '{uri}': {reason}");
        c.Bad("request-uri/non-ascii", Msg.Register().StartLine("REGISTER sip:alice@exämple.com SIP/2.0"), "whitespace or a character that must be escaped");
    }

    private static void AddMissingAndRepeated(Builder c)
    {
        foreach (var header in new[] { "Via", "From", "To", "Call-ID", "CSeq" })
        {
            c.Bad($"missing/{header.ToLowerInvariant()}-in-register", Msg.Register().Without(header), $"missing {header}");
            c.Bad($"missing/{header.ToLowerInvariant()}-in-invite", Msg.Invite().Without(header), $"missing {header}");
        }
        c.Bad("missing/everything", Utf8("OPTIONS sip:bob@example.com SIP/2.0\r\n\r\n"), "missing Via");

        c.Bad("repeated/from", Msg.Register().Add("From: <sip:mallory@example.com>;tag=2"), "more than one From");
        c.Bad("repeated/to-in-another-field", Msg.Register().Add("t: <sip:bob@example.com>"), "more than one To");
        c.Bad("repeated/to-two-values-in-one-field", Msg.Register().Set("To", "<sip:alice@example.com>, <sip:bob@example.com>"), "more than one To");
        c.Bad("repeated/call-id", Msg.Register().Add("i: another@host"), "more than one Call-ID");
        c.Bad("repeated/cseq", Msg.Register().Add("CSeq: 1827 REGISTER"), "more than one CSeq");
        c.Bad("repeated/max-forwards", Msg.Register().Add("Max-Forwards: 69"), "more than one Max-Forwards");
        c.Bad("repeated/expires", Msg.Register().Add("Expires: 60"), "more than one Expires");
        c.Bad("repeated/content-length", Msg.Register().Add("l: 0"), "more than one Content-Length");
    }

    private static void AddBadTypedHeaders(Builder c)
    {
        foreach (var (name, value, reason) in new[]
                 {
                     ("letters", "abc REGISTER", "no sequence number"),
                     ("method-only", "REGISTER", "no sequence number"),
                     ("negative", "-1 REGISTER", "no sequence number"),
                     ("no-space", "1826REGISTER", "expected whitespace"),
                     ("number-only", "1826", "expected whitespace"),
                     ("above-2^31-1", "2147483648 REGISTER", "sequence number above 2^31-1"),
                     ("huge-number", "99999999999999999999999999 REGISTER", "sequence number above 2^31-1"),
                     ("extra-word", "1826 REGISTER extra", "the method is not a token"),
                     ("method-not-token", "1826 REG@STER", "the method is not a token"),
                 })
            c.Bad($"cseq/{name}", Msg.Register().Set("CSeq", value), $"invalid CSeq '{value}': {reason}");
        c.Bad("cseq/empty", Msg.Register().Set("CSeq", ""), "invalid CSeq '': no sequence number");

        c.Bad("cseq-method/invite-in-register", Msg.Register().Set("CSeq", "1826 INVITE"), "CSeq method INVITE does not match request method REGISTER");
        c.Bad("cseq-method/ack-with-invite-cseq", Msg.Minimal("ACK", "INVITE"), "CSeq method INVITE does not match request method ACK");
        c.Bad("cseq-method/cancel-with-invite-cseq", Msg.Minimal("CANCEL", "INVITE"), "CSeq method INVITE does not match request method CANCEL");
        c.Bad("cseq-method/case-differs", Msg.Register().Set("CSeq", "1826 register"), "CSeq method register does not match request method REGISTER");

        foreach (var (name, value, reason) in new[]
                 {
                     ("no-slashes", "SIP/2.0 UDP 192.0.2.1", "expected SIP/2.0/transport"),
                     ("protocol-version-3", "SIP/3.0/UDP 192.0.2.1", "unsupported protocol 'SIP/3.0'"),
                     ("other-protocol", "HTTP/2.0/TCP 192.0.2.1", "unsupported protocol 'HTTP/2.0'"),
                     ("no-sent-by", "SIP/2.0/UDP", "expected whitespace before the sent-by host"),
                     ("no-space-before-host", "SIP/2.0/UDP;branch=z9hG4bK1", "expected whitespace before the sent-by host"),
                     ("bad-host", "SIP/2.0/UDP -bad-.example.com;branch=z9hG4bK1", "invalid host '-bad-.example.com'"),
                     ("unterminated-ipv6", "SIP/2.0/UDP [2001:db8::1;branch=z9hG4bK1", "missing sent-by host"),
                     ("port-0", "SIP/2.0/UDP 192.0.2.1:0", "invalid port '0'"),
                     ("port-99999", "SIP/2.0/UDP 192.0.2.1:99999", "invalid port '99999'"),
                     ("empty-port", "SIP/2.0/UDP 192.0.2.1:;branch=z9hG4bK1", "invalid port ''"),
                     ("rport-letters", "SIP/2.0/UDP 192.0.2.1;rport=abc", "invalid rport 'abc'"),
                     ("empty-branch", "SIP/2.0/UDP 192.0.2.1;branch=", "parameter 'branch' has no valid value"),
                     ("empty-param-name", "SIP/2.0/UDP 192.0.2.1;;branch=z9hG4bK1", "empty parameter name"),
                     ("junk-after-host", "SIP/2.0/UDP 192.0.2.1 junk", "unexpected 'j'"),
                     ("unterminated-quoted-param", "SIP/2.0/UDP 192.0.2.1;x=\"open", "parameter 'x' has no valid value"),
                 })
            c.Bad($"via/{name}", Msg.Register().Set("Via", value), $"invalid Via '{value}': {reason}");
        c.Bad("via/empty", Msg.Register().Set("Via", ""), "invalid Via '': empty");
        c.Bad("via/second-value-bad", Msg.Register().Set("Via", "SIP/2.0/UDP ok.example.com;branch=z9hG4bK1, SIP/2.0/UDP"), "invalid Via 'SIP/2.0/UDP'");

        foreach (var (name, value, reason) in new[]
                 {
                     ("unterminated-quote", "\"Alice <sip:alice@example.com>;tag=1", "unterminated quoted display name"),
                     ("missing-closing-angle", "Alice <sip:alice@example.com;tag=1", "missing '>'"),
                     ("quote-inside-token-display", "Bob \"x\" <sip:bob@example.com>;tag=1", "display name is neither tokens nor a quoted string"),
                     ("quoted-display-without-angles", "\"Alice\" sip:alice@example.com;tag=1", "expected '<' after the quoted display name"),
                     ("http-uri", "<http://example.com/alice>;tag=1", "unsupported URI scheme 'http'"),
                     ("no-host", "<sip:>;tag=1", "missing host"),
                     ("junk-after-angle", "<sip:alice@example.com> junk", "unexpected 'j'"),
                     ("bare-uri-with-headers", "sip:alice@example.com?Subject=x;tag=1", "a URI with headers ('?') must be enclosed in <>"),
                     ("empty-tag", "<sip:alice@example.com>;tag=", "parameter 'tag' has no valid value"),
                     ("space-inside-uri", "<sip:alice@example.com >;tag=1", "whitespace or a character that must be escaped"),
                 })
            c.Bad($"from/{name}", Msg.Register().Set("From", value), $"invalid From '{value}': {reason}");
        c.Bad("from/empty", Msg.Register().Set("From", ""), "invalid From '': empty value");
        c.Bad("to/bad-uri", Msg.Register().Set("To", "<sip:alice@exa mple.com>"), "invalid To '<sip:alice@exa mple.com>'");

        foreach (var (name, value) in new[] { ("space", "has space"), ("two-ats", "a@b@c"), ("empty-local-part", "@host"), ("empty-host-part", "local@"), ("comma", "a,b") })
            c.Bad($"call-id/{name}", Msg.Register().Set("Call-ID", value), $"invalid Call-ID '{value}'");
        c.Bad("call-id/empty", Msg.Register().Set("Call-ID", ""), "invalid Call-ID ''");

        foreach (var value in new[] { "256", "abc", "-1", "70 70", "1000" })
            c.Bad($"max-forwards/{value}", Msg.Register().Set("Max-Forwards", value), $"invalid Max-Forwards '{value}': not 0..255");
        foreach (var value in new[] { "abc", "-1", "3600 s", "Thu, 01 Dec 2039 16:00:00 GMT", "" })
            c.Bad($"expires-header/{(value == "" ? "empty" : value)}", Msg.Register().Set("Expires", value), $"invalid Expires '{value}': not delta-seconds");
    }

    private static void AddBadContacts(Builder c)
    {
        c.Bad("contact/star-beside-contact", Msg.Register().Set("Contact", "*, <sip:alice@192.0.2.10>"), "Contact * must be the only Contact value");
        c.Bad("contact/contact-beside-star", Msg.Register().Set("Contact", "<sip:alice@192.0.2.10>, *"), "Contact * must be the only Contact value");
        c.Bad("contact/star-and-contact-in-two-fields", Msg.Register().Set("Contact", "*").Add("m: <sip:alice@192.0.2.10>"), "Contact * must be the only Contact value");
        c.Bad("contact/two-stars", Msg.Register().Set("Contact", "*, *"), "Contact * must be the only Contact value");
        c.Bad("contact/star-with-params", Msg.Register().Set("Contact", "*;expires=0"), "invalid Contact '*;expires=0'");
        c.Bad("contact/empty", Msg.Register().Set("Contact", ""), "invalid Contact '': empty");
        foreach (var (name, value, reason) in new[]
                 {
                     ("scheme-only", "sip:", "missing host"),
                     ("mailto", "<mailto:alice@example.com>", "unsupported URI scheme 'mailto'"),
                     ("missing-closing-angle", "<sip:alice@192.0.2.10;expires=60", "missing '>'"),
                     ("expires-letters", "<sip:alice@192.0.2.10>;expires=abc", "expires 'abc' is not delta-seconds"),
                     ("expires-negative", "<sip:alice@192.0.2.10>;expires=-1", "expires '-1' is not delta-seconds"),
                     ("expires-quoted", "<sip:alice@192.0.2.10>;expires=\"60\"", "expires '\"60\"' is not delta-seconds"),
                     ("expires-bare", "<sip:alice@192.0.2.10>;expires", "expires '' is not delta-seconds"),
                     ("q-1.5", "<sip:alice@192.0.2.10>;q=1.5", "q '1.5' is not a qvalue"),
                     ("q-leading-dot", "<sip:alice@192.0.2.10>;q=.5", "q '.5' is not a qvalue"),
                     ("q-four-decimals", "<sip:alice@192.0.2.10>;q=0.1234", "q '0.1234' is not a qvalue"),
                     ("q-2", "<sip:alice@192.0.2.10>;q=2", "q '2' is not a qvalue"),
                     ("q-letters", "<sip:alice@192.0.2.10>;q=high", "q 'high' is not a qvalue"),
                     ("q-1.001", "<sip:alice@192.0.2.10>;q=1.001", "q '1.001' is not a qvalue"),
                     ("q-negative", "<sip:alice@192.0.2.10>;q=-0.5", "q '-0.5' is not a qvalue"),
                     ("reg-id-letters", "<sip:alice@192.0.2.10>;reg-id=one", "reg-id 'one' is not 1..2147483647"),
                     ("reg-id-0", "<sip:alice@192.0.2.10>;reg-id=0", "reg-id '0' is not 1..2147483647"),
                     ("reg-id-2^31", "<sip:alice@192.0.2.10>;reg-id=2147483648", "reg-id '2147483648' is not 1..2147483647"),
                 })
            c.Bad($"contact/{name}", Msg.Register().Set("Contact", value), $"invalid Contact '{value}': {reason}");
        c.Bad("contact/second-value-bad", Msg.Register().Set("Contact", "<sip:alice@192.0.2.10>, <sip:bob@>"), "invalid Contact '<sip:bob@>': missing host");
    }

    private static void AddBadContentLength(Builder c)
    {
        foreach (var (name, value, reason) in new[]
                 {
                     ("letters", "abc", "not a number"), ("negative", "-1", "not a number"), ("plus-sign", "+5", "not a number"),
                     ("two-numbers", "5 5", "not a number"), ("empty", "", "not a number"), ("above-int", "99999999999", "too large"),
                 })
            c.Bad($"content-length/{name}", Msg.Register().Set("Content-Length", value), $"invalid Content-Length '{value}': {reason}");
        c.Bad("content-length/body-shorter", Msg.Register().Set("Content-Length", "500").WithRawBody("twelve bytes"), "Content-Length 500 but only 12 bytes of body");
        c.Bad("content-length/invite-body-truncated", Utf8(Msg.Invite().Text[..^10]), $"Content-Length {Encoding.UTF8.GetByteCount(Msg.SdpBody)} but only");
    }
}
