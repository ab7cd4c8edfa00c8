using System.Text;
using LocationActors.TestSupport;

namespace LocationActors.Sip.Tests;

[Trait(Tier.Name, Tier.Unit)]
public sealed class FramingTests
{
    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    [Fact]
    public void One_complete_message_is_one_frame()
    {
        var invite = Msg.Invite().Bytes;
        Assert.Equal(new SipFrame(0, invite.Length, null), SipFraming.Next(invite));
    }

    [Fact]
    public void Several_messages_in_one_buffer_come_out_one_by_one()
    {
        var messages = new[] { Msg.Register().Bytes, Msg.Invite().Bytes, Msg.Minimal("OPTIONS").Add("l: 4").WithRawBody("abcd").Bytes, Msg.Response("SIP/2.0 200 OK").Bytes };
        var buffer = Concat(messages[0], "\r\n\r\n"u8.ToArray(), messages[1], messages[2], "\r\n"u8.ToArray(), messages[3]);
        var offset = 0;
        var parsed = new List<SipParseResult>();
        while (offset < buffer.Length)
        {
            var frame = SipFraming.Next(buffer.AsSpan(offset));
            Assert.Null(frame.Error);
            Assert.True(frame.Length > 0, $"stuck at {offset}");
            parsed.Add(SipParser.Parse(buffer.AsSpan(offset + frame.Start, frame.Length)));
            offset += frame.Start + frame.Length;
        }
        Assert.Equal(["REGISTER", "INVITE", "OPTIONS", null], parsed.Select(p => p.Request?.Method));
        Assert.Equal(Msg.SdpBody, Encoding.UTF8.GetString(parsed[1].Request!.Body.Span));
        Assert.Equal("abcd"u8.ToArray(), parsed[2].Request!.Body.ToArray());
        Assert.Equal(200, parsed[3].Response!.StatusCode);
    }

    [Fact]
    public void A_message_split_anywhere_needs_more_bytes_until_it_is_whole()
    {
        var invite = Msg.Invite().Bytes;
        for (var cut = 0; cut < invite.Length; cut++)
            Assert.Equal(new SipFrame(0, 0, null), SipFraming.Next(invite.AsSpan(0, cut)));
        Assert.Equal(new SipFrame(0, invite.Length, null), SipFraming.Next(invite));
        // Bytes of the next message after it do not change the frame.
        Assert.Equal(new SipFrame(0, invite.Length, null), SipFraming.Next(Concat(invite, invite.AsSpan(0, 17).ToArray())));
    }

    [Fact]
    public void Keepalive_crlfs_are_reported_in_start()
    {
        Assert.Equal(new SipFrame(0, 0, null), SipFraming.Next([]));
        Assert.Equal(new SipFrame(4, 0, null), SipFraming.Next("\r\n\r\n"u8));
        Assert.Equal(new SipFrame(2, 0, null), SipFraming.Next("\r\n"u8));
        Assert.Equal(new SipFrame(3, 0, null), SipFraming.Next("\r\n\r"u8));
        var register = Msg.Register().Bytes;
        Assert.Equal(new SipFrame(4, register.Length, null), SipFraming.Next(Concat("\r\n\r\n"u8.ToArray(), register)));
        Assert.Equal(new SipFrame(2, 0, null), SipFraming.Next(Concat("\r\n"u8.ToArray(), register.AsSpan(0, 30).ToArray())));
    }

    [Fact]
    public void Content_length_is_required_on_a_stream()
    {
        var frame = SipFraming.Next(Msg.Register().Without("Content-Length").Bytes);
        Assert.Equal(0, frame.Length);
        Assert.Equal("Content-Length is required on a stream transport", frame.Error);
    }

    [Theory]
    [InlineData("abc", "invalid Content-Length 'abc': not a number")]
    [InlineData("-1", "invalid Content-Length '-1': not a number")]
    [InlineData("99999999999", "invalid Content-Length '99999999999': too large")]
    [InlineData("70000", "message larger than 65535 bytes")]
    public void A_bad_content_length_cannot_be_framed(string contentLength, string error)
    {
        var frame = SipFraming.Next(Msg.Register().Set("Content-Length", contentLength).Bytes);
        Assert.Equal(0, frame.Length);
        Assert.StartsWith(error, frame.Error);
    }

    [Fact]
    public void Two_content_lengths_cannot_be_framed() =>
        Assert.Equal("more than one Content-Length", SipFraming.Next(Msg.Register().Add("l: 5").WithRawBody("hello").Bytes).Error);

    [Fact]
    public void An_oversized_header_section_is_an_error()
    {
        var head = Encoding.ASCII.GetBytes("REGISTER sip:registrar.example.com SIP/2.0\r\n" + string.Concat(Enumerable.Repeat("X-Pad: 0123456789\r\n", 20)));
        Assert.Equal(new SipFrame(0, 0, null), SipFraming.Next(head, head.Length));
        Assert.Equal("header section larger than 100 bytes", SipFraming.Next(head, 100).Error);
        // The empty line arrives, but past the limit.
        Assert.Equal("header section larger than 100 bytes", SipFraming.Next(Concat(head, "Content-Length: 0\r\n\r\n"u8.ToArray()), 100).Error);
        // The header section fits but the body would not.
        var register = Msg.Register().Set("Content-Length", "10").WithRawBody("0123456789").Bytes;
        Assert.StartsWith("message larger than", SipFraming.Next(register, register.Length - 1).Error);
        Assert.Equal(register.Length, SipFraming.Next(register, register.Length).Length);
    }

    [Fact]
    public void Compact_lower_case_folded_and_lf_only_content_lengths_frame()
    {
        foreach (var message in new[]
                 {
                     Msg.Register().Replace("Content-Length", "l: 5").WithRawBody("hello"),
                     Msg.Register().Replace("Content-Length", "content-LENGTH : 5").WithRawBody("hello"),
                     Msg.Register().Replace("Content-Length", "Content-Length:\r\n 5").WithRawBody("hello"),
                     Msg.Register().Set("Content-Length", "5").WithRawBody("hello").LfOnly(),
                 })
        {
            var bytes = Concat(message.Bytes, "NEXT"u8.ToArray());
            var frame = SipFraming.Next(bytes);
            Assert.Equal(new SipFrame(0, bytes.Length - 4, null), frame);
            Assert.Equal("hello"u8.ToArray(), SipParser.Parse(bytes.AsSpan(0, frame.Length)).Request!.Body.ToArray());
        }
    }

    [Fact]
    public void A_malformed_message_is_still_framed_so_the_stream_stays_in_step()
    {
        var bad = Msg.Register().Without("Call-ID").Bytes;
        var good = Msg.Register().Bytes;
        var buffer = Concat(bad, good);
        var first = SipFraming.Next(buffer);
        Assert.Equal(new SipFrame(0, bad.Length, null), first);
        Assert.Equal("missing Call-ID", SipParser.Parse(buffer.AsSpan(0, first.Length)).Error);
        var second = SipFraming.Next(buffer.AsSpan(first.Length));
        Assert.True(SipParser.Parse(buffer.AsSpan(first.Length + second.Start, second.Length)).Ok);
    }

    [Fact]
    public void Every_valid_corpus_message_with_content_length_frames_to_itself()
    {
        foreach (var c in SipCorpus.All.Where(c => c.Valid && c.MaxSize == SipParser.DefaultMaxMessageSize))
        {
            var result = SipParser.Parse(c.Bytes);
            var message = (SipMessage?)result.Request ?? result.Response!;
            if (message.Header("Content-Length") is null)
                continue;
            var frame = SipFraming.Next(c.Bytes);
            Assert.Null(frame.Error);
            Assert.True(frame.Length > 0, c.Name);
            var framed = SipParser.Parse(c.Bytes.AsSpan(frame.Start, frame.Length));
            var framedMessage = (SipMessage?)framed.Request ?? framed.Response!;
            Assert.Equal(message.Headers, framedMessage.Headers);
            Assert.Equal(message.Body.ToArray(), framedMessage.Body.ToArray());
        }
    }
}
