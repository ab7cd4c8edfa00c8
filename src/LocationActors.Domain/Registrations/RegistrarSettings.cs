namespace LocationActors.Domain.Registrations;

/// <summary>How a REGISTER's contact is matched with a stored one (Kamailio usrloc <c>matching_mode</c>).</summary>
public enum MatchingMode
{
    /// <summary>The Contact URI, byte for byte (Kamailio's default, 0).</summary>
    Contact = 0,

    /// <summary>The Contact URI and the Call-ID (1).</summary>
    ContactAndCallId = 1,

    /// <summary>The Contact URI and the Path, when the REGISTER has one (2).</summary>
    ContactAndPath = 2,
}

/// <summary>The registrar's rules that shape what a REGISTER does to the stored bindings (spec §8).</summary>
/// <param name="Matching">How contacts are matched (Kamailio <c>matching_mode</c>).</param>
/// <param name="MaxContacts">Most valid contacts an AOR may have; 0 = no limit (registrar <c>max_contacts</c>).</param>
/// <param name="CSeqDelay">Seconds within which a REGISTER repeating the stored CSeq is a retransmission (usrloc <c>cseq_delay</c>).</param>
public sealed record RegistrarSettings(MatchingMode Matching = MatchingMode.Contact, int MaxContacts = 0, int CSeqDelay = 20)
{
    public static RegistrarSettings Default { get; } = new();
}
