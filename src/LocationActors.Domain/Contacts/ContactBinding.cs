namespace LocationActors.Domain.Contacts;

/// <summary>
/// One registered contact of an AOR: a row of Kamailio's <c>location</c> table, every column of it.
/// Times are Unix seconds (UTC); <see cref="Expires"/> = 0 means permanent, as in Kamailio.
/// </summary>
/// <param name="Ruid">Record-unique id; kept across updates of the same binding (p_usrloc's REPLACE key).</param>
/// <param name="Username">The AOR without a domain, or its user part with <c>use_domain</c>.</param>
/// <param name="Domain">The AOR's domain with <c>use_domain</c>, else null.</param>
/// <param name="Contact">The Contact URI, byte-exact (it is the matching key by default).</param>
/// <param name="Received">Source address when it differs from the Contact (NAT), e.g. <c>sip:192.0.2.1:5060</c>.</param>
/// <param name="Path">The Path header value (RFC 3327), or null.</param>
/// <param name="Expires">Absolute expiry in Unix seconds; 0 = permanent.</param>
/// <param name="Q">Preference; unspecified is stored as -1.</param>
/// <param name="CallId">Call-ID of the REGISTER that last wrote the binding.</param>
/// <param name="CSeq">CSeq number of that REGISTER.</param>
/// <param name="LastModified">When the binding was last written, Unix seconds.</param>
/// <param name="Flags">Kamailio contact flags.</param>
/// <param name="CFlags">Kamailio branch flags.</param>
/// <param name="UserAgent">User-Agent of the registering device.</param>
/// <param name="Socket">Local socket the REGISTER came in on, <c>proto:ip:port</c>, or null.</param>
/// <param name="Methods">Allowed methods bitmask; null = all methods (Kamailio stores 0xFFFFFFFF as NULL).</param>
/// <param name="Instance"><c>+sip.instance</c> (RFC 5626), or null.</param>
/// <param name="RegId"><c>reg-id</c> (RFC 5626); 0 when absent.</param>
/// <param name="ServerId">Kamailio server_id; p_usrloc never writes it (0).</param>
/// <param name="ConnectionId">TCP connection id; p_usrloc never writes it (0).</param>
/// <param name="Keepalive">Keepalive flag; p_usrloc never writes it (0).</param>
/// <param name="Partition">usrloc partition number; p_usrloc never writes it (0).</param>
public sealed record ContactBinding(
    string Ruid,
    string Username,
    string? Domain,
    string Contact,
    string? Received,
    string? Path,
    long Expires,
    QValue Q,
    string CallId,
    int CSeq,
    long LastModified,
    int Flags,
    int CFlags,
    string UserAgent,
    string? Socket,
    uint? Methods,
    string? Instance,
    int RegId,
    int ServerId = 0,
    int ConnectionId = 0,
    int Keepalive = 0,
    int Partition = 0)
{
    /// <summary>Kamailio's expires value for a contact that never expires.</summary>
    public const long Permanent = 0;

    /// <summary>The latest time a DATETIME column can hold (9999-12-31 23:59:59 UTC).</summary>
    public const long MaxTime = 253402300799;

    public bool IsPermanent => Expires == Permanent;

    /// <summary>Kamailio's <c>VALID_CONTACT</c>: not yet expired, or permanent.</summary>
    public bool IsValidAt(long now) => Expires == Permanent || Expires > now;

    /// <summary>Seconds left before expiry (as a 200 OK lists them); 0 for a permanent contact.</summary>
    public long RemainingSeconds(long now) => IsPermanent ? 0 : Math.Max(0, Expires - now);

    /// <summary>
    /// Checks that the binding fits the <c>location</c> table and is one Kamailio would read back
    /// (it skips rows with an empty contact or Call-ID). Returns the first problem, or null.
    /// </summary>
    public string? Validate()
    {
        return Required(Ruid, nameof(Ruid), LocationColumns.Ruid)
               ?? Required(Username, nameof(Username), LocationColumns.Username)
               ?? Optional(Domain, nameof(Domain), LocationColumns.Domain)
               ?? Required(Contact, nameof(Contact), LocationColumns.Contact)
               ?? Optional(Received, nameof(Received), LocationColumns.Received)
               ?? Optional(Path, nameof(Path), LocationColumns.Path)
               ?? Required(CallId, nameof(CallId), LocationColumns.CallId)
               ?? Optional(UserAgent, nameof(UserAgent), LocationColumns.UserAgent)
               ?? Optional(Socket, nameof(Socket), LocationColumns.Socket)
               ?? Optional(Instance, nameof(Instance), LocationColumns.Instance)
               ?? Time(Expires, nameof(Expires))
               ?? Time(LastModified, nameof(LastModified));
    }

    /// <summary>Like <see cref="Validate"/>, but throws <see cref="InvalidBindingException"/>.</summary>
    public ContactBinding EnsureValid() =>
        Validate() is { } problem ? throw new InvalidBindingException(this, problem) : this;

    private static string? Required(string? value, string field, int max) =>
        string.IsNullOrEmpty(value) ? $"{field} is empty" : Optional(value, field, max);

    private static string? Optional(string? value, string field, int max) =>
        value is not null && value.Length > max
            ? $"{field} has {value.Length} characters, the column holds {max}"
            : null;

    private static string? Time(long value, string field) =>
        value is < 0 or > MaxTime ? $"{field} {value} is outside 1970..9999" : null;
}

/// <summary>A binding that cannot be stored as it is; the message names the AOR, the contact and the field.</summary>
public sealed class InvalidBindingException(ContactBinding binding, string problem)
    : ArgumentException($"binding {binding.Ruid} of {binding.Username}{(binding.Domain is null ? "" : "@" + binding.Domain)}: {problem}")
{
    public ContactBinding Binding { get; } = binding;

    public string Problem { get; } = problem;
}
