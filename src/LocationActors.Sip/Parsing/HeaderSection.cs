using System.Text;

namespace LocationActors.Sip.Parsing;

/// <summary>
/// The header section of a message (RFC 3261 §7.3): lines ended by CRLF (a bare LF is accepted too), a line starting
/// with SP or HT continuing the previous field (folding, §7.3.1), and an empty line ending the section. Header bytes
/// are read as Latin-1, so every byte maps to one char and a value re-encoded as Latin-1 gives back the bytes received
/// (UTF-8 display names included).
/// </summary>
internal static class HeaderSection
{
    /// <summary>The longest header field (with its continuation lines) and start line: bounds huge-header attacks.</summary>
    public const int MaxFieldLength = 8192;

    public const int MaxFields = 256;

    /// <summary>
    /// Finds the empty line that ends the header section in <paramref name="data"/>, which starts with the start line.
    /// Returns the index just after that empty line, or -1 when there is none yet; <paramref name="fieldsEnd"/> is where
    /// the empty line starts (the end of the last field line).
    /// </summary>
    public static int FindEnd(ReadOnlySpan<byte> data, out int fieldsEnd)
    {
        fieldsEnd = -1;
        var i = 0;
        while (i < data.Length)
        {
            var lf = data[i..].IndexOf((byte)'\n');
            if (lf < 0)
                return -1;
            var next = i + lf + 1;
            if (next < data.Length && data[next] == '\n')
            {
                fieldsEnd = next;
                return next + 1;
            }
            if (next + 1 < data.Length && data[next] == '\r' && data[next + 1] == '\n')
            {
                fieldsEnd = next;
                return next + 2;
            }
            i = next;
        }
        return -1;
    }

    /// <summary>Splits the field lines (between the start line and the empty line) into <paramref name="headers"/>;
    /// returns an error, or null.</summary>
    public static string? Split(ReadOnlySpan<byte> lines, List<SipHeader> headers)
    {
        var reader = new FieldReader(lines);
        while (reader.Next(out var field))
        {
            if (!field.IsEmpty && field[0] is (byte)' ' or (byte)'\t')
                return "folded line before the first header field";
            if (headers.Count == MaxFields)
                return $"more than {MaxFields} header fields";
            if (field.Length > MaxFieldLength)
                return $"header line longer than {MaxFieldLength} bytes ({ShowName(field)})";
            if (FindControl(field) is var control and >= 0)
                return $"control character 0x{control:X2} in header section ({ShowName(field)})";
            var colon = field.IndexOf((byte)':');
            if (colon < 0)
                return $"header line without ':' '{Syntax.Show(Encoding.Latin1.GetString(field[..Math.Min(field.Length, 80)]))}'";
            // header-name HCOLON header-value: HCOLON = *( SP / HTAB ) ":" SWS, so whitespace may precede the colon.
            var name = field[..colon].TrimEnd(" \t"u8);
            if (name.IsEmpty || name.ContainsAnyExcept(Syntax.TokenBytes))
                return $"invalid header name '{Syntax.Show(Encoding.Latin1.GetString(name))}'";
            headers.Add(new SipHeader(CanonicalName(name), Unfold(field[(colon + 1)..])));
        }
        return null;
    }

    /// <summary>The value of a field (what follows the colon), unfolded and trimmed: LWS = [*WSP CRLF] 1*WSP counts as
    /// one SP (RFC 3261 §7.3.1).</summary>
    public static string Unfold(ReadOnlySpan<byte> raw)
    {
        raw = raw.Trim(" \t\r\n"u8);
        if (raw.IndexOfAny((byte)'\r', (byte)'\n') < 0)
            return Encoding.Latin1.GetString(raw);
        var value = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length;)
        {
            if (raw[i] is (byte)'\r' or (byte)'\n')
            {
                while (value.Length > 0 && value[^1] is ' ' or '\t')
                    value.Length--;
                while (i < raw.Length && raw[i] is (byte)'\r' or (byte)'\n' or (byte)' ' or (byte)'\t')
                    i++;
                value.Append(' ');
                continue;
            }
            value.Append((char)raw[i++]);
        }
        return value.ToString();
    }

    /// <summary>Header names are tokens (ASCII): look the well-known ones up without allocating.</summary>
    private static string CanonicalName(ReadOnlySpan<byte> name)
    {
        if (name.Length > 64)
            return HeaderNameTable.Canonical(Encoding.Latin1.GetString(name));
        Span<char> chars = stackalloc char[name.Length];
        for (var i = 0; i < name.Length; i++)
            chars[i] = (char)name[i];
        return HeaderNameTable.Canonical(chars);
    }

    /// <summary>The first control character of a field other than HT and the CRLF (or LF) of a fold, or -1. A CR must
    /// be followed by LF; the reader only leaves line ends inside a field when a continuation line follows.</summary>
    private static int FindControl(ReadOnlySpan<byte> field)
    {
        for (var i = 0; i < field.Length; i++)
        {
            var b = field[i];
            if (b is >= 0x20 and not 0x7F || b is (byte)'\t' || b is (byte)'\n' || (b is (byte)'\r' && i + 1 < field.Length && field[i + 1] == '\n'))
                continue;
            return b;
        }
        return -1;
    }

    private static string ShowName(ReadOnlySpan<byte> field)
    {
        var colon = field.IndexOf((byte)':');
        var name = colon < 0 ? field : field[..colon];
        return Syntax.Show(Encoding.Latin1.GetString(name[..Math.Min(name.Length, 80)]).TrimEnd());
    }
}

/// <summary>Reads the fields of a header section: one field is a line and the continuation lines that follow it. A
/// field is returned without its final line end; the line ends of folds stay inside.</summary>
internal ref struct FieldReader(ReadOnlySpan<byte> lines)
{
    private readonly ReadOnlySpan<byte> _lines = lines;
    private int _pos;

    public bool Next(out ReadOnlySpan<byte> field)
    {
        field = default;
        if (_pos >= _lines.Length)
            return false;
        var start = _pos;
        int end;
        do
        {
            var lf = _lines[_pos..].IndexOf((byte)'\n');
            var lineEnd = lf < 0 ? _lines.Length : _pos + lf;
            end = lineEnd > _pos && _lines[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
            _pos = lf < 0 ? _lines.Length : lineEnd + 1;
        } while (_pos < _lines.Length && _lines[_pos] is (byte)' ' or (byte)'\t');
        field = _lines[start..end];
        return true;
    }
}
