namespace LocationActors.Domain.Aors;

/// <summary>
/// The registrar settings that shape an address-of-record. They must equal the Kamailio registrar's
/// (<c>use_domain</c>, <c>case_sensitive</c>, <c>realm_prefix</c>) on every system that shares the same
/// databases, because the AOR is also the partition key.
/// </summary>
/// <param name="UseDomain">Kamailio <c>use_domain</c>: the AOR is <c>user@domain</c> instead of <c>user</c>.</param>
/// <param name="CaseSensitive">Kamailio <c>case_sensitive</c>: keep the user part's case (the domain is always lower-cased).</param>
/// <param name="RealmPrefix">Kamailio <c>realm_prefix</c>: stripped from the front of the domain (only with <paramref name="UseDomain"/>).</param>
public sealed record RegistrarOptions(bool UseDomain = false, bool CaseSensitive = false, string RealmPrefix = "")
{
    /// <summary>Kamailio's defaults: no domain, case-insensitive, no realm prefix.</summary>
    public static RegistrarOptions Default { get; } = new();
}
