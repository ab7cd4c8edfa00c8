namespace LocationActors.Domain.Aors;

/// <summary>
/// A normalised address-of-record exactly as Kamailio's registrar builds it (<c>extract_aor</c>):
/// <c>user</c> with <c>use_domain=0</c>, <c>user@domain</c> with <c>use_domain=1</c>.
/// Its <see cref="Value"/> is both the record's identity and p_usrloc's partition key.
/// </summary>
public sealed record Aor
{
    private Aor(string value, string username, string? domain)
    {
        Value = value;
        Username = username;
        Domain = domain;
    }

    /// <summary>The AOR string (<c>alice</c> or <c>alice@example.com</c>); also the partition key.</summary>
    public string Value { get; }

    /// <summary>The <c>location.username</c> column: the whole AOR without a domain, else the part before the first <c>@</c>.</summary>
    public string Username { get; }

    /// <summary>The <c>location.domain</c> column: null unless <c>use_domain</c> is on (p_usrloc then writes it).</summary>
    public string? Domain { get; }

    /// <summary>The bytes p_usrloc hashes to choose the location group (spec §2: <c>username@domain</c> or the username).</summary>
    public string PartitionKey => Value;

    public override string ToString() => Value;

    /// <summary>
    /// Rebuilds an AOR from an already-normalised string (as stored, or as typed by an operator), checking that it is
    /// what the registrar could have produced: non-empty, printable ASCII, lower-case where the settings require it.
    /// </summary>
    public static Aor FromNormalized(string value, RegistrarOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(value))
            throw new AorFormatException(AorError.Empty, value ?? "", "the AOR is empty");
        foreach (var c in value)
        {
            if (c > 0x7E)
                throw new AorFormatException(AorError.NonAscii, value,
                    "non-ASCII characters are not accepted (p_usrloc's partition hash is undefined for them)");
            if (c < 0x20)
                throw new AorFormatException(AorError.InvalidCharacter, value, "control characters are not allowed");
        }

        string username;
        string? domain = null;
        if (options.UseDomain)
        {
            // p_usrloc splits at the first '@' (an escaped '@' in the user part therefore moves into the domain).
            var at = value.IndexOf('@');
            if (at <= 0)
                throw new AorFormatException(AorError.MissingUser, value, "use_domain is on, so the AOR must be user@domain");
            if (at == value.Length - 1)
                throw new AorFormatException(AorError.MissingHost, value, "the domain after '@' is empty");
            username = value[..at];
            domain = value[(at + 1)..];
            if (!options.CaseSensitive ? HasUpper(value) : HasUpper(domain))
                throw new AorFormatException(AorError.InvalidCharacter, value, "a normalised AOR is lower-case");
        }
        else
        {
            username = value;
            if (!options.CaseSensitive && HasUpper(value))
                throw new AorFormatException(AorError.InvalidCharacter, value, "a normalised AOR is lower-case");
        }

        return new Aor(value, username, domain);
    }

    /// <summary>
    /// The AOR of a stored row: its <c>username</c> and <c>domain</c> columns (domain null without <c>use_domain</c>).
    /// Also how an AOR travels between processes.
    /// </summary>
    public static Aor FromColumns(string username, string? domain) =>
        new(domain is null ? username : string.Concat(username, "@", domain), username, domain);

    /// <summary>Used by <see cref="AorNormalizer"/>, which has already validated the parts.</summary>
    internal static Aor Create(string username, string? domain) =>
        new(domain is null ? username : string.Concat(username, "@", domain), SplitUser(username, domain), SplitDomain(username, domain));

    // With use_domain an unescaped '@' in the user part makes p_usrloc split earlier than the URI did; keep its split.
    private static string SplitUser(string user, string? domain) =>
        domain is null || !user.Contains('@') ? user : user[..user.IndexOf('@')];

    private static string? SplitDomain(string user, string? domain) =>
        domain is null || !user.Contains('@') ? domain : string.Concat(user.AsSpan(user.IndexOf('@') + 1), "@", domain);

    private static bool HasUpper(string s)
    {
        foreach (var c in s)
            if (c is >= 'A' and <= 'Z')
                return true;
        return false;
    }
}
