using System.Buffers;

namespace LocationActors.Sip.Parsing;

/// <summary>Character classes and small lexical helpers of RFC 3261 §25.1.</summary>
internal static class Syntax
{
    private const string Alphanum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /// <summary>token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~").</summary>
    private const string TokenChars = Alphanum + "-.!%*_+`'~";

    public static readonly SearchValues<char> Token = SearchValues.Create(TokenChars);

    public static readonly SearchValues<byte> TokenBytes = SearchValues.Create(System.Text.Encoding.ASCII.GetBytes(TokenChars));

    /// <summary>word (Call-ID) = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" / "(" / ")" / "&lt;" / "&gt;" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}").</summary>
    public static readonly SearchValues<char> Word = SearchValues.Create(TokenChars + "()<>:\\\"/[]?{}");

    /// <summary>gen-value = token / host / quoted-string: unquoted values are tokens or hosts (IPv6 brings ':', '[' and ']').</summary>
    public static readonly SearchValues<char> ParamValue = SearchValues.Create(TokenChars + ":[]");

    /// <summary>Characters of a host name or an IPv4 address (an IPv6 reference is bracketed and read separately).</summary>
    public static readonly SearchValues<char> HostName = SearchValues.Create(Alphanum + "-.");

    public static readonly SearchValues<char> Digits = SearchValues.Create("0123456789");

    /// <summary>Where an unparsable number saturates: above every limit the parser checks (2^32-1 is the largest).</summary>
    public const long Saturated = 1L << 40;

    /// <summary>Largest delta-seconds kept: RFC 3261 §20.19 bounds Expires to 2^32-1.</summary>
    public const long MaxDeltaSeconds = uint.MaxValue;

    public static bool IsWs(char c) => c is ' ' or '\t';

    public static ReadOnlySpan<char> TrimWs(ReadOnlySpan<char> s) => s.Trim(" \t");

    /// <summary>The string without surrounding SP/HT: the same instance when there is nothing to trim.</summary>
    public static string Trimmed(string s) => TrimWs(s).Length == s.Length ? s : TrimWs(s).ToString();

    /// <summary>1*DIGIT; the value saturates at <see cref="Saturated"/> so that any length of digits is safe.</summary>
    public static bool TryDigits(ReadOnlySpan<char> s, out long value)
    {
        value = 0;
        if (s.IsEmpty || s.ContainsAnyExcept(Digits))
            return false;
        foreach (var c in s)
            value = Math.Min(value * 10 + (c - '0'), Saturated);
        return true;
    }

    /// <summary>delta-seconds = 1*DIGIT. Values above 2^32-1 are clamped to it rather than refused: a registrar lowers a
    /// long expiry to its own maximum anyway (RFC 3261 §10.3 step 7), so a huge one is not malformed, just long.</summary>
    public static bool TryDeltaSeconds(ReadOnlySpan<char> s, out long seconds)
    {
        if (!TryDigits(s, out seconds))
            return false;
        seconds = Math.Min(seconds, MaxDeltaSeconds);
        return true;
    }

    /// <summary>Index just after the closing quote of the quoted-string opening at <paramref name="open"/>, or -1 when
    /// it is unterminated. A quoted-pair (backslash and any character) never ends it (RFC 3261 §25.1).</summary>
    public static int QuotedEnd(ReadOnlySpan<char> s, int open)
    {
        for (var i = open + 1; i < s.Length; i++)
        {
            if (s[i] == '\\')
                i++;
            else if (s[i] == '"')
                return i + 1;
        }
        return -1;
    }

    /// <summary>The first <paramref name="c"/> outside quoted strings, or -1.</summary>
    public static int IndexOutsideQuotes(ReadOnlySpan<char> s, char c)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == c)
                return i;
            if (s[i] == '"')
            {
                var end = QuotedEnd(s, i);
                if (end < 0)
                    return -1;
                i = end - 1;
            }
        }
        return -1;
    }

    /// <summary>The content of a quoted string (without its quotes) with quoted-pairs resolved.</summary>
    public static string Unquote(ReadOnlySpan<char> content)
    {
        if (content.IndexOf('\\') < 0)
            return new string(content);
        Span<char> buffer = content.Length <= 256 ? stackalloc char[content.Length] : new char[content.Length];
        var n = 0;
        for (var i = 0; i < content.Length; i++)
        {
            if (content[i] == '\\' && i + 1 < content.Length)
                i++;
            buffer[n++] = content[i];
        }
        return new string(buffer[..n]);
    }

    /// <summary>Sets <paramref name="error"/> and returns null: the shape of every failing parse step.</summary>
    public static T? Fail<T>(out string? error, string reason) where T : class
    {
        error = reason;
        return null;
    }

    /// <summary>A value quoted in an error message, shortened so that a huge header does not make a huge error.</summary>
    public static string Show(ReadOnlySpan<char> value) => value.Length <= 64 ? value.ToString() : string.Concat(value[..64], "...");
}

/// <summary>A read position in a header value, for the grammars that allow whitespace between elements (SWS, LWS).</summary>
internal ref struct Cursor(ReadOnlySpan<char> text)
{
    private readonly ReadOnlySpan<char> _text = text;
    private int _pos;

    public readonly bool End => _pos >= _text.Length;

    /// <summary>The next character, or NUL at the end (header values never contain NUL: the section reader refuses it).</summary>
    public readonly char Peek => _pos < _text.Length ? _text[_pos] : '\0';

    public readonly ReadOnlySpan<char> Rest => _text[_pos..];

    /// <summary>Skips spaces and tabs; returns how many.</summary>
    public int SkipWs()
    {
        var start = _pos;
        while (_pos < _text.Length && Syntax.IsWs(_text[_pos]))
            _pos++;
        return _pos - start;
    }

    public bool TryTake(char c)
    {
        if (_pos >= _text.Length || _text[_pos] != c)
            return false;
        _pos++;
        return true;
    }

    /// <summary>The longest run of characters from <paramref name="set"/> (possibly empty).</summary>
    public ReadOnlySpan<char> Take(System.Buffers.SearchValues<char> set)
    {
        var rest = _text[_pos..];
        var n = rest.IndexOfAnyExcept(set);
        if (n < 0)
            n = rest.Length;
        _pos += n;
        return rest[..n];
    }

    /// <summary>A quoted string starting here, quotes included; empty (and nothing consumed) when unterminated.</summary>
    public ReadOnlySpan<char> TakeQuoted()
    {
        var rest = _text[_pos..];
        var end = Syntax.QuotedEnd(rest, 0);
        if (end < 0)
            return default;
        _pos += end;
        return rest[..end];
    }

    /// <summary>Everything up to (not including) <paramref name="c"/>, which is consumed; empty and nothing consumed when absent.</summary>
    public bool TryTakeUntil(char c, out ReadOnlySpan<char> taken)
    {
        var rest = _text[_pos..];
        var n = rest.IndexOf(c);
        if (n < 0)
        {
            taken = default;
            return false;
        }
        taken = rest[..n];
        _pos += n + 1;
        return true;
    }
}
