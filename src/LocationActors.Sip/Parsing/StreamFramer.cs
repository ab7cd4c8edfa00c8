using System.Text;

namespace LocationActors.Sip.Parsing;

/// <summary>
/// Cuts one message out of a stream (RFC 3261 §18.3): skip CRLF keep-alives (RFC 5626 §3.5.1), read up to the empty
/// line that ends the header section, then Content-Length bytes of body. Only Content-Length is read here; the frame
/// is validated by <see cref="MessageParser"/>, so a malformed message still keeps the stream in step.
/// </summary>
internal static class StreamFramer
{
    public static SipFrame Next(ReadOnlySpan<byte> buffer, int maxMessageSize)
    {
        var start = buffer.IndexOfAnyExcept("\r\n"u8);
        if (start < 0)
            return new SipFrame(buffer.Length, 0, null);
        var data = buffer[start..];

        var sectionEnd = HeaderSection.FindEnd(data, out var fieldsEnd);
        if (sectionEnd < 0)
            return new SipFrame(start, 0, data.Length > maxMessageSize ? $"header section larger than {maxMessageSize} bytes" : null);
        if (sectionEnd > maxMessageSize)
            return new SipFrame(start, 0, $"header section larger than {maxMessageSize} bytes");

        // The fields start after the start line; FindEnd found an LF, so there is one.
        var lines = data[(data.IndexOf((byte)'\n') + 1)..fieldsEnd];
        int? contentLength = null;
        var reader = new FieldReader(lines);
        while (reader.Next(out var field))
        {
            var colon = field.IndexOf((byte)':');
            if (colon < 0)
                continue;
            var name = field[..colon].TrimEnd(" \t"u8);
            if (!Ascii.EqualsIgnoreCase(name, "Content-Length"u8) && !Ascii.EqualsIgnoreCase(name, "l"u8))
                continue;
            if (contentLength is not null)
                return new SipFrame(start, 0, "more than one Content-Length");
            if (MessageParser.ParseContentLength(HeaderSection.Unfold(field[(colon + 1)..]), out var length) is { } error)
                return new SipFrame(start, 0, error);
            contentLength = length;
        }
        // RFC 3261 §18.3: "In the case of stream-oriented transports such as TCP, the Content-Length header field
        // indicates the size of the body. [It] MUST be used with stream oriented transports."
        if (contentLength is not { } bodyLength)
            return new SipFrame(start, 0, "Content-Length is required on a stream transport");
        if (bodyLength > maxMessageSize - sectionEnd)
            return new SipFrame(start, 0, $"message larger than {maxMessageSize} bytes (Content-Length {bodyLength})");
        return data.Length - sectionEnd >= bodyLength ? new SipFrame(start, sectionEnd + bodyLength, null) : new SipFrame(start, 0, null);
    }
}
