namespace LocationActors.Domain.Aors;

/// <summary>Why a URI cannot be turned into an address-of-record.</summary>
public enum AorError
{
    Empty,
    UnsupportedScheme,
    MissingUser,
    MissingHost,
    InvalidCharacter,
    NonAscii,
    InvalidEscape,
    TooLong,
}

/// <summary>A URI or AOR that the registrar would refuse; the message names the input and the reason.</summary>
public sealed class AorFormatException(AorError error, string input, string reason)
    : FormatException($"invalid AOR '{Shorten(input)}': {reason}")
{
    public AorError Error { get; } = error;

    public string Input { get; } = input;

    // Messages end up in logs and SIP reason phrases: keep them to one readable line.
    private static string Shorten(string s) => s.Length <= 80 ? s : string.Concat(s.AsSpan(0, 77), "...");
}
