using System.Globalization;
using System.Text;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;

namespace LocationActors.Benchmarks;

/// <summary>
/// Realistic inputs, shared by every benchmark so the numbers describe the same traffic: a desk phone behind NAT
/// registering one contact (Kamailio's defaults: no domain in the AOR), and the INVITE a proxy sends for it.
/// </summary>
public static class Samples
{
    /// <summary>Fixed "now" (2026-01-01 UTC): the registrar's results must not depend on when the benchmark runs.</summary>
    public const long Now = 1_767_225_600;

    /// <summary>The n-th user's name: a 10-digit number, as carriers and PBXs number their subscribers.</summary>
    public static string User(int n) => "49" + n.ToString("D8", CultureInfo.InvariantCulture);

    public static Aor AorOf(int n) => Aor.FromColumns(User(n), null);

    /// <summary>
    /// A stored binding as a member database returns it: every string a distinct instance (nothing is shared between
    /// rows read from a database), the phone behind NAT so <c>received</c> is set, no <c>+sip.instance</c>.
    /// </summary>
    public static ContactBinding Binding(int n, long now = Now) => new(
        Ruid: string.Create(CultureInfo.InvariantCulture, $"uloc-6955b900-5f3a9b2c-{n + 1:x}"),
        Username: User(n),
        Domain: null,
        Contact: string.Create(CultureInfo.InvariantCulture, $"sip:{User(n)}@10.{n / 65536 % 256}.{n / 256 % 256}.{n % 256}:5060"),
        Received: string.Create(CultureInfo.InvariantCulture, $"sip:198.51.{n / 256 % 256}.{n % 256}:{1024 + n % 60000}"),
        Path: null,
        Expires: now + 3600,
        Q: QValue.Unspecified,
        CallId: string.Create(CultureInfo.InvariantCulture, $"{(uint)(n * 2654435761L):x8}-4c1e-11f0@10.{n / 65536 % 256}.{n / 256 % 256}.{n % 256}"),
        CSeq: 1,
        LastModified: now,
        Flags: 0,
        CFlags: 0,
        UserAgent: new string("Yealink SIP-T46U 108.86.0.45".AsSpan()),
        Socket: new string("udp:203.0.113.10:5060".AsSpan()),
        Methods: null,
        Instance: null,
        RegId: 0);

    /// <summary>
    /// The REGISTER of user <paramref name="n"/> as the proxy sends it to its group: one contact, the phone's usual
    /// refresh. The contacts are a <see cref="List{T}"/> because that is what the proxy builds (and what a serializer
    /// that writes runtime types, like Akka's default, can read back).
    /// </summary>
    public static RegisterRequest Register(int n, int cseq, long expires = 3600)
    {
        var binding = Binding(n);
        return new RegisterRequest(AorOf(n), new List<ContactUpdate> { new(binding.Contact, expires, QValue.Unspecified, binding.Received) }, binding.CallId, cseq,
            UserAgent: binding.UserAgent, Socket: binding.Socket);
    }

    /// <summary>A REGISTER as a desk phone sends it (digest credentials included: they travel on every refresh).</summary>
    public static readonly byte[] RegisterMessage = Crlf("""
        REGISTER sip:sip.example.com SIP/2.0
        Via: SIP/2.0/UDP 10.0.4.210:5060;branch=z9hG4bK1529813407;rport
        From: "4900004321" <sip:4900004321@sip.example.com>;tag=1406226839
        To: "4900004321" <sip:4900004321@sip.example.com>
        Call-ID: 0_3021539423@10.0.4.210
        CSeq: 2 REGISTER
        Contact: <sip:4900004321@10.0.4.210:5060>
        Authorization: Digest username="4900004321", realm="sip.example.com", nonce="aWq8zGlqu6Cz0LjE0QJ0Xh2v5QpbnFO0", uri="sip:sip.example.com", response="3b1f2bd8a2c74a1e0d59f8cb3d1e9c47", algorithm=MD5
        Max-Forwards: 70
        User-Agent: Yealink SIP-T46U 108.86.0.45
        Expires: 3600
        Allow: INVITE, ACK, OPTIONS, CANCEL, BYE, SUBSCRIBE, NOTIFY, INFO, REFER, UPDATE
        Content-Length: 0


        """);

    /// <summary>An INVITE as a proxy forwards it to the redirect server: two Vias, Record-Route, an SDP offer.</summary>
    public static readonly byte[] InviteMessage = Invite();

    private static byte[] Invite()
    {
        var sdp = Crlf("""
            v=0
            o=- 20518 0 IN IP4 203.0.113.50
            s=SDP data
            c=IN IP4 203.0.113.50
            t=0 0
            m=audio 11424 RTP/AVP 9 0 8 18 101
            a=rtpmap:9 G722/8000
            a=rtpmap:0 PCMU/8000
            a=rtpmap:8 PCMA/8000
            a=rtpmap:18 G729/8000
            a=fmtp:18 annexb=no
            a=rtpmap:101 telephone-event/8000
            a=fmtp:101 0-15
            a=ptime:20
            a=sendrecv

            """);
        var headers = Crlf($"""
            INVITE sip:4900004321@sip.example.com SIP/2.0
            Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKa9f3.7c2e8b41.0
            Via: SIP/2.0/UDP 203.0.113.50:5060;received=203.0.113.50;branch=z9hG4bK-524287-1---6e0d4f3b1f0a2c11;rport=5060
            Max-Forwards: 69
            Record-Route: <sip:203.0.113.10;lr>
            Contact: <sip:4900001234@203.0.113.50:5060>
            To: <sip:4900004321@sip.example.com>
            From: "Alice" <sip:4900001234@sip.example.com>;tag=0f0b6c2a
            Call-ID: 7mN1Gm2Xq8xQyS4cZ0f9Vw..
            CSeq: 1 INVITE
            Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE
            Content-Type: application/sdp
            Supported: replaces, timer
            User-Agent: Z 5.6.6 v2.10.20.4
            Content-Length: {sdp.Length}


            """);
        return [.. headers, .. sdp];
    }

    // Raw string literals end lines with the source file's newline; SIP needs CRLF.
    private static byte[] Crlf(string text) => Encoding.Latin1.GetBytes(text.ReplaceLineEndings("\r\n"));
}
