using LocationActors.TestSupport;

namespace LocationActors.Sip.Tests;

[Trait(Tier.Name, Tier.Unit)]
public sealed class HeaderNamesTests
{
    [Theory]
    [InlineData("i", "Call-ID")]
    [InlineData("m", "Contact")]
    [InlineData("M", "Contact")]
    [InlineData("e", "Content-Encoding")]
    [InlineData("l", "Content-Length")]
    [InlineData("c", "Content-Type")]
    [InlineData("f", "From")]
    [InlineData("s", "Subject")]
    [InlineData("k", "Supported")]
    [InlineData("t", "To")]
    [InlineData("v", "Via")]
    [InlineData("o", "Event")]
    [InlineData("r", "Refer-To")]
    [InlineData("b", "Referred-By")]
    [InlineData("u", "Allow-Events")]
    [InlineData("x", "Session-Expires")]
    [InlineData("call-id", "Call-ID")]
    [InlineData("CALL-ID", "Call-ID")]
    [InlineData("cseq", "CSeq")]
    [InlineData("www-authenticate", "WWW-Authenticate")]
    [InlineData("proxy-authorization", "Proxy-Authorization")]
    [InlineData("max-forwards", "Max-Forwards")]
    [InlineData("min-expires", "Min-Expires")]
    [InlineData("record-route", "Record-Route")]
    [InlineData("retry-after", "Retry-After")]
    [InlineData("user-agent", "User-Agent")]
    [InlineData("path", "Path")]
    [InlineData("X-Unknown", "X-Unknown")]
    [InlineData("x-unknown", "x-unknown")]
    [InlineData("q", "q")]
    public void Canonical_names(string received, string canonical) => Assert.Equal(canonical, SipHeaderNames.Canonical(received));

    [Theory]
    [InlineData("", new string[0])]
    [InlineData("  ", new string[0])]
    [InlineData("a", new[] { "a" })]
    [InlineData(" a , b ,c ", new[] { "a", "b", "c" })]
    [InlineData("a,,b", new[] { "a", "b" })]
    [InlineData("\"Doe, John\" <sip:j@h>, <sip:k@h>", new[] { "\"Doe, John\" <sip:j@h>", "<sip:k@h>" })]
    [InlineData("\"a \\\" , b\" <sip:x@y>, c", new[] { "\"a \\\" , b\" <sip:x@y>", "c" })]
    [InlineData("<sip:a@b?h=1,2>, d", new[] { "<sip:a@b?h=1,2>", "d" })]
    [InlineData("\"unterminated, still one", new[] { "\"unterminated, still one" })]
    [InlineData("<unclosed, still one", new[] { "<unclosed, still one" })]
    [InlineData("a>, b", new[] { "a>", "b" })]
    [InlineData("\"ends with backslash\\", new[] { "\"ends with backslash\\" })]
    public void SplitValues_respects_quotes_and_angle_brackets(string value, string[] expected) =>
        Assert.Equal(expected, SipHeaderNames.SplitValues(value));

    [Fact]
    public void Header_lookup_by_compact_or_canonical_name()
    {
        var result = SipParser.Parse(Msg.Register().Replace("Contact", "m: <sip:a@192.0.2.1>, <sip:b@192.0.2.2>").Add("Contact: <sip:c@192.0.2.3>").Bytes);
        var request = Assert.IsType<SipRequest>(result.Request);
        Assert.Equal("<sip:a@192.0.2.1>, <sip:b@192.0.2.2>", request.Header("CONTACT"));
        Assert.Equal(["<sip:a@192.0.2.1>", "<sip:b@192.0.2.2>", "<sip:c@192.0.2.3>"], request.HeaderValues("m"));
        Assert.Null(request.Header("Subject"));
        Assert.Empty(request.HeaderValues("Subject"));
    }

    [Fact]
    public void Raw_values_are_substrings_of_what_was_received()
    {
        var text = Msg.Register().Set("Contact", "\"Bob\"  <sip:bob@192.0.2.4;transport=tcp> ;expires=60").Text;
        var request = SipParser.Parse(System.Text.Encoding.UTF8.GetBytes(text)).Request!;
        Assert.Contains(request.Via[0].Raw, text);
        Assert.Contains(request.From.Raw, text);
        Assert.Contains(request.To.Raw, text);
        Assert.Contains(request.RequestUri.Raw, text);
        Assert.Equal("\"Bob\"  <sip:bob@192.0.2.4;transport=tcp> ;expires=60", request.Contacts[0].Address.Raw);
        Assert.Equal("sip:bob@192.0.2.4;transport=tcp", request.Contacts[0].Uri.Raw);
    }

    [Fact]
    public void A_request_failing_validation_still_gives_the_fields_for_a_400()
    {
        var result = SipParser.Parse(Msg.Register().Set("CSeq", "1826 INVITE").Bytes);
        Assert.Equal("CSeq method INVITE does not match request method REGISTER", result.Error);
        Assert.Equal("REGISTER", result.Method);
        Assert.NotNull(result.Headers);
        Assert.Equal(["Via", "Max-Forwards", "To", "From", "Call-ID", "CSeq", "Contact", "Expires", "Content-Length"], result.Headers!.Select(h => h.Name));
        Assert.Equal("1826 INVITE", result.Headers.Single(h => h.Name == "CSeq").Value);
    }
}
