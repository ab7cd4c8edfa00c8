using System.Text;

namespace LocationActors.Sip.Tests;

public static partial class SipCorpus
{
    private static void AddValid(Builder c)
    {
        AddBasics(c);
        AddResponses(c);
        AddTorture(c);
        AddCompactAndNames(c);
        AddUris(c);
        AddNameAddresses(c);
        AddVias(c);
        AddContacts(c);
        AddMiscValid(c);
    }

    private static void AddBasics(Builder c)
    {
        c.Request("basic/register", Msg.Register(), r =>
        {
            Assert.Equal("REGISTER", r.Method);
            var uri = r.RequestUri;
            Assert.Equal(("sip", null, null, "registrar.example.com", null, null, "sip:registrar.example.com"), (uri.Scheme, uri.User, uri.Password, uri.Host, uri.Port, uri.Headers, uri.Raw));
            Assert.Empty(uri.Parameters);
            var via = Assert.Single(r.Via);
            Assert.Equal(("UDP", "192.0.2.10", (int?)5060, "z9hG4bKnashds7", true), (via.Transport, via.Host, via.Port, via.Branch, via.WantsRport));
            Assert.Equal("SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds7;rport", via.Raw);
            Assert.Equal("Alice", r.From.DisplayName);
            Assert.Equal("sip:alice@example.com", r.From.Uri.Raw);
            Assert.Equal("456248", r.From.Tag);
            Assert.Equal("Alice <sip:alice@example.com>;tag=456248", r.From.Raw);
            Assert.Null(r.To.Tag);
            Assert.Equal("alice", r.To.Uri.User);
            Assert.Equal("843817637684230@998sdasdh09", r.CallId);
            Assert.Equal(new CSeq(1826, "REGISTER"), r.CSeq);
            var contact = Assert.Single(r.Contacts);
            Assert.Equal(("alice", "192.0.2.10", (int?)5060), (contact.Uri.User, contact.Uri.Host, contact.Uri.Port));
            Assert.Equal((null, null, null, null), (contact.Expires, contact.Q, contact.Instance, contact.RegId));
            Assert.False(r.ContactStar);
            Assert.Equal(7200, r.Expires);
            Assert.True(r.Body.IsEmpty);
            Assert.Equal(9, r.Headers.Count);
            Assert.Equal("70", r.Header("max-forwards"));
        });

        c.Request("basic/invite-with-sdp", Msg.Invite(), r =>
        {
            Assert.Equal("INVITE", r.Method);
            Assert.Equal(Msg.SdpBody, Encoding.UTF8.GetString(r.Body.Span));
            Assert.Equal("application/sdp", r.Header("c"));
            Assert.Equal("TCP", r.Via[0].Transport);
            Assert.Equal("tcp", r.Contacts[0].Uri.Parameter("transport"));
            Assert.Equal("Bob", r.To.DisplayName);
            Assert.Null(r.Expires);
        });

        c.Request("basic/options-minimal", Msg.Minimal("OPTIONS"), r =>
        {
            Assert.Empty(r.Contacts);
            Assert.Null(r.Header("Max-Forwards"));
            Assert.Equal(new CSeq(986759, "OPTIONS"), r.CSeq);
            Assert.Equal(5, r.Headers.Count);
        });

        foreach (var method in new[] { "ACK", "CANCEL", "BYE", "SUBSCRIBE", "NOTIFY", "MESSAGE" })
            c.Request($"basic/{method.ToLowerInvariant()}", Msg.Minimal(method), r =>
            {
                Assert.Equal(method, r.Method);
                Assert.Equal(method, r.CSeq.Method);
            });

        c.Request("basic/unknown-method", Msg.Minimal("FOOBAR"), r => Assert.Equal(("FOOBAR", "FOOBAR"), (r.Method, r.CSeq.Method)));

        // SIP methods are case-sensitive (RFC 3261 §7.1): "register" is a different, unknown method.
        c.Request("basic/lower-case-method-is-another-method", Msg.Minimal("register"), r =>
        {
            Assert.Equal("register", r.Method);
            Assert.NotEqual("REGISTER", r.Method);
        });

        c.Request("basic/method-with-token-punctuation", Msg.Minimal("X-NEW.METHOD!v2"), r => Assert.Equal("X-NEW.METHOD!v2", r.Method));
    }

    private static void AddResponses(Builder c)
    {
        c.Response("response/200-ok", Msg.Response("SIP/2.0 200 OK"), r =>
        {
            Assert.Equal((200, "OK"), (r.StatusCode, r.Reason));
            Assert.Equal(6, r.Headers.Count);
            Assert.Equal("843817637684230@998sdasdh09", r.Header("i"));
            Assert.True(r.Body.IsEmpty);
        });
        c.Response("response/100-trying", Msg.Response("SIP/2.0 100 Trying"), r => Assert.Equal((100, "Trying"), (r.StatusCode, r.Reason)));
        c.Response("response/486-reason-with-spaces", Msg.Response("SIP/2.0 486 Busy Here"), r => Assert.Equal("Busy Here", r.Reason));
        c.Response("response/empty-reason", Msg.Response("SIP/2.0 200 "), r => Assert.Equal((200, ""), (r.StatusCode, r.Reason)));
        c.Response("response/no-reason-no-space", Msg.Response("SIP/2.0 603"), r => Assert.Equal((603, ""), (r.StatusCode, r.Reason)));
        c.Response("response/699", Msg.Response("SIP/2.0 699 Whatever"), r => Assert.Equal(699, r.StatusCode));
        c.Response("response/lower-case-version", Msg.Response("sip/2.0 202 Accepted"), r => Assert.Equal(202, r.StatusCode));
        c.Response("response/utf8-reason-round-trips-as-latin1", Msg.Response("SIP/2.0 480 Vorübergehend nicht verfügbar"),
            r => Assert.Equal(Encoding.UTF8.GetBytes("Vorübergehend nicht verfügbar"), Encoding.Latin1.GetBytes(r.Reason)));
        c.Response("response/with-body", Msg.Response("SIP/2.0 200 OK").WithBody("hello"), r => Assert.Equal("hello"u8.ToArray(), r.Body.ToArray()));
    }

    /// <summary>RFC 4475-style messages (written for this corpus): odd whitespace, folding, escapes, IPv6.</summary>
    private static void AddTorture(Builder c)
    {
        const string whitespace = """
            INVITE sip:carol@chicago.example.com;unknownparam SIP/2.0
            TO :
             sip:carol@chicago.example.com ;   tag    = 8321234356
            from   : "Ted \\ \"T\""       <sip:ted@example.org>
              ;
              tag = 0x7c4e1
            MaX-fOrWaRdS: 0068
            Call-ID: torture.whitespace@192.0.2.5
            Content-Length   : 13
            cseq: 0042
              INVITE
            Via  : SIP  /   2.0
             /UDP
                192.0.2.5;rport;branch=z9hG4bKws1
            s :
            X-Folded-Unknown:   first part
             second part
            X-Odd-Value: ;;,,;;,;
            Content-Type: text/plain
            v:  SIP  / 2.0  / TCP     relay.example.net   ;
              branch  =   z9hG4bKws2  ,
             SIP  /    2.0   / UDP  192.0.2.77   ; branch=
             z9hG4bKws3
            m:"Quoted \"contact\"" <sip:ted@192.0.2.5> ; newparam =
                  newvalue ;
              secondparam ; q = 0.33

            hello, world!
            """;
        c.Request("torture/whitespace-folding-compact", Utf8(Crlf(whitespace)), r =>
        {
            Assert.Equal("", r.RequestUri.Parameter("unknownparam"));
            Assert.Null(r.To.DisplayName);
            Assert.Equal(("sip:carol@chicago.example.com", "8321234356"), (r.To.Uri.Raw, r.To.Tag));
            Assert.Equal("Ted \\ \"T\"", r.From.DisplayName);
            Assert.Equal("0x7c4e1", r.From.Tag);
            Assert.Equal(new CSeq(42, "INVITE"), r.CSeq);
            Assert.Equal(["192.0.2.5", "relay.example.net", "192.0.2.77"], r.Via.Select(v => v.Host));
            Assert.Equal(["UDP", "TCP", "UDP"], r.Via.Select(v => v.Transport));
            Assert.Equal(["z9hG4bKws1", "z9hG4bKws2", "z9hG4bKws3"], r.Via.Select(v => v.Branch));
            Assert.True(r.Via[0].WantsRport);
            Assert.Equal("", r.Header("Subject"));
            Assert.Equal("first part second part", r.Header("x-folded-unknown"));
            Assert.Equal([";;", ";;", ";"], r.HeaderValues("X-Odd-Value"));
            var contact = Assert.Single(r.Contacts);
            Assert.Equal("Quoted \"contact\"", contact.Address.DisplayName);
            Assert.Equal(330, contact.Q);
            Assert.Equal(("newvalue", ""), (contact.Address.Parameter("newparam"), contact.Address.Parameter("secondparam")));
            Assert.Equal("hello, world!"u8.ToArray(), r.Body.ToArray());
            Assert.Equal(["To", "From", "Max-Forwards", "Call-ID", "Content-Length", "CSeq", "Via", "Subject", "X-Folded-Unknown", "X-Odd-Value", "Content-Type", "Via", "Contact"],
                r.Headers.Select(h => h.Name));
        });

        const string escapedV6 = """
            REGISTER sip:[2001:db8::10]:5070;transport=tcp SIP/2.0
            Via: SIP/2.0/TCP [2001:db8::9]:5061;branch=z9hG4bKv6;received=2001:db8::9;rport
            To: "Alice, \"the\" <admin>" <sip:%61lice@[2001:db8::10]>
            From: "Alice, \"the\" <admin>" <sip:%61lice@[2001:db8::10]>;tag=v6
            Call-ID: v6reg@[2001:db8::9]
            CSeq: 7 REGISTER
            Contact: "Desk, left" <sip:%61lice@[2001:db8::9]:5061;transport=tcp>;expires=300, <sip:alice@[2001:db8::9]:5062>;q=0.1
            Content-Length: 0

            xx
            """;
        c.Request("torture/escapes-and-ipv6", Utf8(Crlf(escapedV6)), r =>
        {
            Assert.Equal(("[2001:db8::10]", (int?)5070, "tcp"), (r.RequestUri.Host, r.RequestUri.Port, r.RequestUri.Parameter("transport")));
            Assert.Equal(("[2001:db8::9]", (int?)5061, "2001:db8::9"), (r.Via[0].Host, r.Via[0].Port, r.Via[0].Param("received")));
            Assert.Equal("Alice, \"the\" <admin>", r.To.DisplayName);
            Assert.Equal(("%61lice", "[2001:db8::10]"), (r.From.Uri.User, r.From.Uri.Host));
            Assert.Equal("v6reg@[2001:db8::9]", r.CallId);
            Assert.Equal(2, r.Contacts.Count);
            Assert.Equal(("Desk, left", (long?)300, (int?)null), (r.Contacts[0].Address.DisplayName, r.Contacts[0].Expires, r.Contacts[0].Q));
            Assert.Equal(("[2001:db8::9]", (int?)5062, (int?)100), (r.Contacts[1].Uri.Host, r.Contacts[1].Uri.Port, r.Contacts[1].Q));
            // "xx" after the empty line is cut to Content-Length 0 (RFC 3261 §18.3).
            Assert.True(r.Body.IsEmpty);
        });

        c.Request("fold/subject-over-three-lines", Msg.Register().Add("Subject: first\r\n second\r\n\tthird"),
            r => Assert.Equal("first second third", r.Header("Subject")));
        c.Request("fold/whitespace-around-fold-is-one-space", Msg.Register().Add("Subject: a   \r\n    \t b"), r => Assert.Equal("a b", r.Header("Subject")));
        c.Request("fold/value-starts-on-continuation-line", Msg.Register().Add("Subject:\r\n   late value"), r => Assert.Equal("late value", r.Header("Subject")));
        c.Request("fold/from-over-three-lines", Msg.Register().Set("From", "Alice\r\n <sip:alice@example.com>\r\n ;tag=456248"), r =>
        {
            Assert.Equal(("Alice", "456248"), (r.From.DisplayName, r.From.Tag));
            Assert.Equal("Alice <sip:alice@example.com> ;tag=456248", r.From.Raw);
        });
        c.Request("fold/lf-only-folds", Msg.Register().Add("Subject: one\r\n two").LfOnly(), r => Assert.Equal("one two", r.Header("Subject")));
        c.Request("ws/tab-before-colon", Msg.Register().Replace("Call-ID", "Call-ID\t : abc@def"), r => Assert.Equal("abc@def", r.CallId));
        c.Request("ws/no-space-after-colon", Msg.Register().Replace("CSeq", "CSeq:1826 REGISTER"), r => Assert.Equal(1826, r.CSeq.Number));
        c.Request("ws/cseq-tabs-and-trailing-space", Msg.Register().Replace("CSeq", "CSeq:   1826\t  REGISTER   "),
            r => Assert.Equal(new CSeq(1826, "REGISTER"), r.CSeq));
        c.Request("ws/via-spaces-around-slash-colon-semicolon", Msg.Register().Set("Via", "SIP / 2.0 / UDP 192.0.2.10 : 5060 ; branch = z9hG4bKx ; rport"), r =>
        {
            var via = Assert.Single(r.Via);
            Assert.Equal(("192.0.2.10", (int?)5060, "z9hG4bKx", true), (via.Host, via.Port, via.Branch, via.WantsRport));
        });
        c.Request("ws/spaced-header-params", Msg.Register().Set("From", "<sip:alice@example.com> ; tag = abc"), r => Assert.Equal("abc", r.From.Tag));
        c.Request("endings/lf-only", Msg.Register().LfOnly(), r => Assert.Equal((9, 7200L), (r.Headers.Count, r.Expires!.Value)));
        c.Request("endings/mixed-crlf-and-lf",
            Utf8("OPTIONS sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bKm\r\nFrom: <sip:a@example.com>;tag=1\nTo: <sip:bob@example.com>\r\n" +
                 "Call-ID: mixed\nCSeq: 1 OPTIONS\r\n\nbody"),
            r => Assert.Equal(("mixed", "body"), (r.CallId, Encoding.ASCII.GetString(r.Body.Span))));
        c.Request("endings/leading-crlf-keepalives-ignored", Msg.Register().Prefix("\r\n\r\n\r\n"), r => Assert.Equal("REGISTER", r.Method));
    }

    private static void AddCompactAndNames(Builder c)
    {
        // Compact forms replacing a typed header: the typed value and the canonical name must both come out.
        c.Request("compact/i-call-id", Msg.Register().Replace("Call-ID", "i: compact@host"), r =>
        {
            Assert.Equal("compact@host", r.CallId);
            Assert.Contains(r.Headers, h => h is { Name: "Call-ID", Value: "compact@host" });
        });
        c.Request("compact/m-contact", Msg.Register().Replace("Contact", "m: <sip:alice@192.0.2.77>"), r => Assert.Equal("192.0.2.77", r.Contacts[0].Uri.Host));
        c.Request("compact/upper-case-M-contact", Msg.Register().Replace("Contact", "M: <sip:alice@192.0.2.78>"), r => Assert.Equal("192.0.2.78", r.Contacts[0].Uri.Host));
        c.Request("compact/l-content-length", Msg.Invite().Replace("Content-Length", $"l: {Encoding.UTF8.GetByteCount(Msg.SdpBody)}"),
            r => Assert.Equal(Encoding.UTF8.GetByteCount(Msg.SdpBody), r.Body.Length));
        c.Request("compact/f-from", Msg.Register().Replace("From", "f: <sip:alice@example.com>;tag=compact"), r => Assert.Equal("compact", r.From.Tag));
        c.Request("compact/t-to", Msg.Register().Replace("To", "t: sip:alice@example.com"), r => Assert.Equal("sip:alice@example.com", r.To.Raw));
        c.Request("compact/v-via", Msg.Register().Replace("Via", "v: SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKcompact"), r => Assert.Equal("192.0.2.99", r.Via[0].Host));
        // Compact forms of headers the request does not type: Header() by either name finds the canonical field.
        foreach (var (compact, name, value) in new[]
                 {
                     ("c", "Content-Type", "application/sdp"), ("e", "Content-Encoding", "gzip"), ("s", "Subject", "hello there"),
                     ("k", "Supported", "path, outbound"), ("o", "Event", "reg"), ("r", "Refer-To", "<sip:carol@example.com>"),
                     ("b", "Referred-By", "<sip:bob@example.com>"), ("u", "Allow-Events", "presence, reg"), ("x", "Session-Expires", "1800"),
                 })
            c.Request($"compact/{compact}-{name.ToLowerInvariant()}", Msg.Register().Add($"{compact}: {value}"), r =>
            {
                Assert.Equal(new SipHeader(name, value), r.Headers[^1]);
                Assert.Equal(value, r.Header(compact));
                Assert.Equal(value, r.Header(name.ToUpperInvariant()));
            });
        c.Request("compact/k-supported-values-split", Msg.Register().Add("k: path, outbound , gruu"),
            r => Assert.Equal(["path", "outbound", "gruu"], r.HeaderValues("Supported")));

        c.Request("names/any-case-is-canonical", new Msg("REGISTER sip:registrar.example.com SIP/2.0",
            "VIA: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKcase", "max-FORWARDS: 70", "tO: <sip:alice@example.com>", "from: <sip:alice@example.com>;tag=1",
            "call-id: case@host", "cseq: 1 REGISTER", "CONTACT: <sip:alice@192.0.2.10>", "EXPIRES: 60", "www-authenticate: x", "user-agent: ua/1",
            "content-length: 0"), r =>
        {
            Assert.Equal(["Via", "Max-Forwards", "To", "From", "Call-ID", "CSeq", "Contact", "Expires", "WWW-Authenticate", "User-Agent", "Content-Length"],
                r.Headers.Select(h => h.Name));
            Assert.Equal(60, r.Expires);
        });
        c.Request("names/unknown-header-kept-as-received", Msg.Register().Add("X-Custom-Thing: one, \"two, three\", <sip:x@y;a=b,c>"), r =>
        {
            Assert.Equal("X-Custom-Thing", r.Headers[^1].Name);
            Assert.Equal(["one", "\"two, three\"", "<sip:x@y;a=b,c>"], r.HeaderValues("x-custom-thing"));
        });
        c.Request("names/unknown-lower-case-kept", Msg.Register().Add("x-lower: v"), r => Assert.Equal(new SipHeader("x-lower", "v"), r.Headers[^1]));
        c.Request("names/extension-header-canonical", Msg.Register().Add("path: <sip:p1.example.com;lr>", "SERVICE-ROUTE: <sip:s.example.com;lr>"),
            r => Assert.Equal(["Path", "Service-Route"], r.Headers.TakeLast(2).Select(h => h.Name)));
    }

    private static void AddUris(Builder c)
    {
        void Uri(string name, string uri, Action<SipUri> check) =>
            c.Request($"uri/{name}", Msg.Minimal("INVITE").StartLine($"INVITE {uri} SIP/2.0"), r =>
            {
                Assert.Equal(uri, r.RequestUri.Raw);
                Assert.Equal(uri, r.RequestUri.ToString());
                check(r.RequestUri);
            });

        Uri("escaped-user-kept-raw", "sip:%61lice%20smith@example.com", u => Assert.Equal(("%61lice%20smith", "example.com"), (u.User, u.Host)));
        Uri("user-with-semicolon-and-escaped-at", "sip:user;par=u%40example.net@example.com", u =>
        {
            Assert.Equal(("user;par=u%40example.net", "example.com"), (u.User, u.Host));
            Assert.Empty(u.Parameters);
        });
        Uri("password", "sip:alice:secretword@example.com", u => Assert.Equal(("alice", "secretword"), (u.User, u.Password)));
        Uri("empty-password", "sip:alice:@example.com", u => Assert.Equal(("alice", ""), (u.User, u.Password)));
        Uri("params-and-headers", "sip:alice@example.com;transport=tcp;lr;maddr=239.255.255.1?Subject=hi&Priority=urgent", u =>
        {
            Assert.Equal(3, u.Parameters.Count);
            Assert.Equal(("tcp", "", "239.255.255.1"), (u.Parameter("TRANSPORT"), u.Parameter("lr"), u.Parameter("maddr")));
            Assert.Null(u.Parameters[1].Value);
            Assert.Equal("Subject=hi&Priority=urgent", u.Headers);
        });
        Uri("escaped-headers", "sip:alice@example.com?Route=%3Csip:example.com%3E", u => Assert.Equal("Route=%3Csip:example.com%3E", u.Headers));
        Uri("ipv6-with-port", "sip:alice@[2001:db8::10]:5070", u => Assert.Equal(("[2001:db8::10]", (int?)5070), (u.Host, u.Port)));
        Uri("ipv6-port-like-last-group", "sip:[2001:db8::10:5070]", u => Assert.Equal(("[2001:db8::10:5070]", (int?)null, (string?)null), (u.Host, u.Port, u.User)));
        Uri("ipv6-with-embedded-ipv4", "sip:alice@[::ffff:192.0.2.1]", u => Assert.Equal("[::ffff:192.0.2.1]", u.Host));
        Uri("ipv4-with-port", "sip:alice@192.0.2.1:5080", u => Assert.Equal(("192.0.2.1", (int?)5080), (u.Host, u.Port)));
        Uri("sips", "sips:alice@example.com", u => Assert.Equal("sips", u.Scheme));
        Uri("upper-case-scheme-and-host", "SIP:alice@EXAMPLE.COM", u => Assert.Equal(("sip", "EXAMPLE.COM"), (u.Scheme, u.Host)));
        Uri("tel-global", "tel:+1-201-555-0123", u => Assert.Equal(("tel", "+1-201-555-0123", "", (int?)null), (u.Scheme, u.User, u.Host, u.Port)));
        Uri("tel-local-with-context", "tel:7042;phone-context=example.com", u => Assert.Equal(("7042", "example.com"), (u.User, u.Parameter("phone-context"))));
        Uri("user-phone-with-password", "sip:+1-212-555-1212:1234@gateway.example.com;user=phone",
            u => Assert.Equal(("+1-212-555-1212", "1234", "phone"), (u.User, u.Password, u.Parameter("user"))));
        Uri("trailing-dot-host", "sip:alice@example.com.", u => Assert.Equal("example.com.", u.Host));
        Uri("max-port", "sip:alice@example.com:65535", u => Assert.Equal(65535, u.Port));
        Uri("hyphens-and-digits-in-labels", "sip:alice@a-1.b2.example.com", u => Assert.Equal("a-1.b2.example.com", u.Host));
        Uri("single-label-host", "sip:alice@localhost", u => Assert.Equal("localhost", u.Host));
    }

    private static void AddNameAddresses(Builder c)
    {
        c.Request("name-addr/quoted-display-with-escaped-quotes", Msg.Register().Set("From", "\"Alice \\\"Al\\\" Smith\" <sip:alice@example.com>;tag=1"), r =>
        {
            Assert.Equal("Alice \"Al\" Smith", r.From.DisplayName);
            Assert.Equal("\"Alice \\\"Al\\\" Smith\" <sip:alice@example.com>;tag=1", r.From.Raw);
        });
        c.Request("name-addr/token-display-multi-word", Msg.Register().Set("To", "Bob   Smith <sip:bob@example.com>"), r => Assert.Equal("Bob   Smith", r.To.DisplayName));
        c.Request("name-addr/empty-quoted-display", Msg.Register().Set("From", "\"\" <sip:alice@example.com>;tag=x"), r => Assert.Equal("", r.From.DisplayName));
        c.Request("name-addr/no-space-before-angle", Msg.Register().Set("From", "\"Alice\"<sip:alice@example.com>;tag=x"), r => Assert.Equal("Alice", r.From.DisplayName));
        c.Request("name-addr/bare-addr-spec-params-are-header-params", Msg.Register().Set("From", "sip:alice@example.com;tag=abc;other"), r =>
        {
            Assert.Equal("sip:alice@example.com", r.From.Uri.Raw);
            Assert.Empty(r.From.Uri.Parameters);
            Assert.Equal(("abc", ""), (r.From.Tag, r.From.Parameter("other")));
            Assert.Null(r.From.DisplayName);
        });
        c.Request("name-addr/uri-params-inside-angles", Msg.Register().Set("From", "<sip:alice@example.com;transport=tcp>;tag=1"), r =>
        {
            Assert.Equal("tcp", r.From.Uri.Parameter("transport"));
            Assert.Null(r.From.Parameter("transport"));
            Assert.Equal("1", r.From.Tag);
        });
        c.Request("name-addr/quoted-param-value-keeps-quotes-and-semicolon", Msg.Register().Set("To", "<sip:alice@example.com>;x=\"a;b\";y=2"),
            r => Assert.Equal(("\"a;b\"", "2"), (r.To.Parameter("x"), r.To.Parameter("y"))));
        c.Request("name-addr/utf8-quoted-display", Msg.Register().Set("From", "\"Jörg Müller\" <sip:joerg@example.com>;tag=1"),
            r => Assert.Equal(Encoding.UTF8.GetBytes("Jörg Müller"), Encoding.Latin1.GetBytes(r.From.DisplayName!)));
        c.Request("name-addr/utf8-token-display-tolerated", Msg.Register().Set("To", "Jörg <sip:joerg@example.com>"),
            r => Assert.Equal(Encoding.UTF8.GetBytes("Jörg"), Encoding.Latin1.GetBytes(r.To.DisplayName!)));
        c.Request("name-addr/tel-uri", Msg.Register().Set("To", "<tel:+1-201-555-0123>"), r => Assert.Equal(("tel", "+1-201-555-0123"), (r.To.Uri.Scheme, r.To.Uri.User)));
        c.Request("name-addr/sips-with-port", Msg.Register().Set("To", "<sips:alice@example.com:5061>"), r => Assert.Equal(("sips", (int?)5061), (r.To.Uri.Scheme, r.To.Uri.Port)));
    }

    private static void AddVias(Builder c)
    {
        c.Request("via/two-in-one-field", Msg.Register().Set("Via", "SIP/2.0/UDP first.example.com;branch=z9hG4bK1, SIP/2.0/TCP second.example.com:5061;branch=z9hG4bK2"), r =>
        {
            Assert.Equal(["first.example.com", "second.example.com"], r.Via.Select(v => v.Host));
            Assert.Equal(("TCP", (int?)5061), (r.Via[1].Transport, r.Via[1].Port));
            Assert.Equal("SIP/2.0/TCP second.example.com:5061;branch=z9hG4bK2", r.Via[1].Raw);
        });
        c.Request("via/across-fields-topmost-first", Msg.Register().Set("Via", "SIP/2.0/UDP one.example.com;branch=z9hG4bK1")
            .Add("Via: SIP/2.0/UDP two.example.com;branch=z9hG4bK2,SIP/2.0/UDP three.example.com;branch=z9hG4bK3", "v: SIP/2.0/UDP four.example.com;branch=z9hG4bK4"),
            r =>
            {
                Assert.Equal(["one.example.com", "two.example.com", "three.example.com", "four.example.com"], r.Via.Select(v => v.Host));
                Assert.Equal(4, r.HeaderValues("Via").Count);
            });
        c.Request("via/received-and-rport-value", Msg.Register().Set("Via", "SIP/2.0/UDP 10.0.0.1:5060;received=192.0.2.1;rport=33333;branch=z9hG4bKr"),
            r => Assert.Equal(("192.0.2.1", "33333", true), (r.Via[0].Param("received"), r.Via[0].Param("rport"), r.Via[0].WantsRport)));
        c.Request("via/no-rport-no-port", Msg.Register().Set("Via", "SIP/2.0/UDP host.example.com;branch=z9hG4bKn"),
            r => Assert.Equal((false, (int?)null), (r.Via[0].WantsRport, r.Via[0].Port)));
        c.Request("via/ipv6-sent-by-and-received", Msg.Register().Set("Via", "SIP/2.0/UDP [2001:db8::9]:5060;received=2001:db8::9;branch=z9hG4bK6"),
            r => Assert.Equal(("[2001:db8::9]", (int?)5060, "2001:db8::9"), (r.Via[0].Host, r.Via[0].Port, r.Via[0].Param("received"))));
        c.Request("via/lower-case-protocol-and-transport", Msg.Register().Set("Via", "sip/2.0/udp host.example.com;branch=z9hG4bKl"),
            r => Assert.Equal("UDP", r.Via[0].Transport));
        foreach (var transport in new[] { "TLS", "SCTP", "WS", "WSS", "X-FOO" })
            c.Request($"via/transport-{transport.ToLowerInvariant()}", Msg.Register().Set("Via", $"SIP/2.0/{transport.ToLowerInvariant()} df7jal23ls0d.invalid;branch=z9hG4bKt"),
                r => Assert.Equal(transport, r.Via[0].Transport));
        c.Request("via/maddr-and-ttl", Msg.Register().Set("Via", "SIP/2.0/UDP host.example.com;maddr=239.255.255.1;ttl=16;branch=z9hG4bKm"),
            r => Assert.Equal(("239.255.255.1", "16", "z9hG4bKm"), (r.Via[0].Param("maddr"), r.Via[0].Param("ttl"), r.Via[0].Branch)));
        c.Request("via/quoted-param-with-comma-does-not-split", Msg.Register().Set("Via", "SIP/2.0/UDP a.example.com;x-note=\"a, b\";branch=z9hG4bKq, SIP/2.0/UDP b.example.com;branch=z9hG4bKp"),
            r =>
            {
                Assert.Equal(2, r.Via.Count);
                Assert.Equal("\"a, b\"", r.Via[0].Param("x-note"));
            });
    }

    private static void AddContacts(Builder c)
    {
        c.Request("contact/star-alone", Msg.Register().Set("Contact", "*").Set("Expires", "0"), r =>
        {
            Assert.True(r.ContactStar);
            Assert.Empty(r.Contacts);
            Assert.Equal(0, r.Expires);
        });
        c.Request("contact/star-with-whitespace", Msg.Register().Replace("Contact", "Contact:   *  ").Set("Expires", "0"), r => Assert.True(r.ContactStar));
        c.Request("contact/several-in-fields", Msg.Register().Set("Contact", "\"Doe, John\" <sip:john@192.0.2.1>, <sip:john@192.0.2.2>;q=0.5").Add("m: sip:john@192.0.2.3;expires=10"), r =>
        {
            Assert.Equal(["192.0.2.1", "192.0.2.2", "192.0.2.3"], r.Contacts.Select(x => x.Uri.Host));
            Assert.Equal("Doe, John", r.Contacts[0].Address.DisplayName);
            Assert.Equal((500, 10L), (r.Contacts[1].Q!.Value, r.Contacts[2].Expires!.Value));
        });
        foreach (var (text, expected) in new (string, long)[] { ("0", 0), ("60", 60), ("4294967295", 4294967295), ("4294967296", 4294967295), ("99999999999999999999999", 4294967295), ("007", 7) })
            c.Request($"contact/expires-{text}", Msg.Register().Set("Contact", $"<sip:alice@192.0.2.10>;expires={text}"), r => Assert.Equal(expected, r.Contacts[0].Expires));
        foreach (var (text, expected) in new (string, int)[]
                 {
                     ("0", 0), ("0.0", 0), ("0.5", 500), ("0.05", 50), ("0.123", 123), ("0.999", 999), ("1", 1000), ("1.0", 1000), ("1.000", 1000), ("0.", 0), ("1.", 1000),
                 })
            c.Request($"contact/q-{text}", Msg.Register().Set("Contact", $"<sip:alice@192.0.2.10>;q={text}"), r => Assert.Equal(expected, r.Contacts[0].Q));
        c.Request("contact/instance-and-reg-id", Msg.Register().Set("Contact", "<sip:line1@192.0.2.2;transport=tcp>;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\";reg-id=1"), r =>
        {
            var contact = r.Contacts[0];
            Assert.Equal("\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\"", contact.Instance);
            Assert.Equal(1, contact.RegId);
        });
        c.Request("contact/instance-and-reg-id-spaced", Msg.Register().Set("Contact", "<sip:line1@192.0.2.2> ;+sip.instance = \"<urn:uuid:1>\" ; reg-id = 2147483647"),
            r => Assert.Equal(("\"<urn:uuid:1>\"", (int?)int.MaxValue), (r.Contacts[0].Instance, r.Contacts[0].RegId)));
        c.Request("contact/param-names-case-insensitive", Msg.Register().Set("Contact", "<sip:alice@192.0.2.10>;EXPIRES=30;Q=0.7"),
            r => Assert.Equal(((long?)30, (int?)700), (r.Contacts[0].Expires, r.Contacts[0].Q)));
        c.Request("contact/none-is-a-query", Msg.Register().Without("Contact"), r => Assert.Equal((0, false), (r.Contacts.Count, r.ContactStar)));
        c.Request("contact/uri-params-are-not-contact-params", Msg.Register().Set("Contact", "<sip:alice@192.0.2.10;expires=5>;expires=50"),
            r => Assert.Equal(50, r.Contacts[0].Expires));
    }

    private static void AddMiscValid(Builder c)
    {
        foreach (var (text, expected) in new (string, long)[] { ("0", 0), ("4294967295", 4294967295), ("4294967296", 4294967295), ("123456789012345678901234567890", 4294967295) })
            c.Request($"expires-header/{text}", Msg.Register().Set("Expires", text), r => Assert.Equal(expected, r.Expires));
        c.Request("expires-header/absent", Msg.Register().Without("Expires"), r => Assert.Null(r.Expires));
        c.Request("path/several-values-and-fields", Msg.Register().Add("Supported: path, outbound", "Path: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>", "Path: <sip:p3.example.com;lr>"), r =>
        {
            Assert.Equal(["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>", "<sip:p3.example.com;lr>"], r.HeaderValues("path"));
            Assert.Equal("<sip:p1.example.com;lr>, <sip:p2.example.com;lr>", r.Header("Path"));
            Assert.Contains("path", r.HeaderValues("Supported"));
        });
        foreach (var hops in new[] { "0", "255", "0070" })
            c.Request($"max-forwards/{hops}", Msg.Register().Set("Max-Forwards", hops), r => Assert.Equal(hops, r.Header("Max-Forwards")));
        foreach (var (text, number) in new (string, long)[] { ("0", 0), ("2147483647", 2147483647) })
            c.Request($"cseq/{text}", Msg.Register().Set("CSeq", $"{text} REGISTER"), r => Assert.Equal(number, r.CSeq.Number));
        c.Request("call-id/without-at", Msg.Register().Set("Call-ID", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"), r => Assert.Equal("f81d4fae-7dec-11d0-a765-00a0c91e6bf6", r.CallId));
        c.Request("call-id/all-word-characters", Msg.Register().Set("Call-ID", "a.b-c!d%e*f_g+h`i'j~k(l)m<n>o:p\\q\"r/s[t]u?v{w}x@host"),
            r => Assert.Equal("a.b-c!d%e*f_g+h`i'j~k(l)m<n>o:p\\q\"r/s[t]u?v{w}x@host", r.CallId));
        c.Request("header/empty-value", Msg.Register().Add("Subject:"), r => Assert.Equal("", r.Header("Subject")));
        c.Request("header/256-fields", Msg.Register().Add(Enumerable.Range(0, 247).Select(i => $"X-Filler-{i}: {i}").ToArray()), r =>
        {
            Assert.Equal(256, r.Headers.Count);
            Assert.Equal("246", r.Header("X-Filler-246"));
        });
        c.Request("header/line-of-exactly-8192-bytes", Msg.Register().Add("X-Big: " + new string('a', 8192 - 7)), r => Assert.Equal(8192 - 7, r.Header("X-Big")!.Length));
        var atLimit = Msg.Register().Bytes;
        c.Request("size/exactly-the-limit", atLimit, r => Assert.Equal("REGISTER", r.Method), maxSize: atLimit.Length);
        c.Request("body/no-content-length-takes-the-datagram", Msg.Register().Without("Content-Length").WithRawBody("hello"), r => Assert.Equal("hello"u8.ToArray(), r.Body.ToArray()));
        c.Request("body/longer-than-content-length-is-cut", Msg.Register().Set("Content-Length", "5").WithRawBody("hello world"), r => Assert.Equal("hello"u8.ToArray(), r.Body.ToArray()));
        c.Request("body/content-length-0-ignores-trailing-bytes", Msg.Register().WithRawBody("trailing junk"), r => Assert.True(r.Body.IsEmpty));
        c.Request("body/lf-only-with-body", Msg.Invite().LfOnly(), r => Assert.Equal(Msg.SdpBody, Encoding.UTF8.GetString(r.Body.Span)));
        c.Request("body/content-length-leading-zeros", Msg.Register().Set("Content-Length", "005").WithRawBody("hello"), r => Assert.Equal(5, r.Body.Length));
        c.Request("body/binary-body-with-nul", Msg.Register().Set("Content-Length", "4").WithRawBody("\0\u0001\r\n"), r => Assert.Equal(new byte[] { 0, 1, 13, 10 }, r.Body.ToArray()));

        var latin = Msg.Register().Add("Subject: @@").Bytes;
        var at = latin.AsSpan().IndexOf("@@"u8);
        (latin[at], latin[at + 1]) = (0xFF, 0xFE);
        c.Request("header/non-utf8-bytes-read-as-latin1", latin, r => Assert.Equal("\u00FF\u00FE", r.Header("Subject")));
    }
}
