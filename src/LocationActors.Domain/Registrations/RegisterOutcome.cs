using LocationActors.Domain.Contacts;

namespace LocationActors.Domain.Registrations;

/// <summary>What a REGISTER did (Kamailio <c>save()</c>'s return codes 1..4).</summary>
public enum RegisterAction
{
    Inserted = 1,
    Updated = 2,
    Deleted = 3,
    Fetched = 4,
}

/// <summary>Why a REGISTER was refused; nothing was changed.</summary>
public enum RegisterRejection
{
    /// <summary>A contact's CSeq is lower than the stored one, or equal outside the retransmission window (SIP 400).</summary>
    InvalidCSeq,

    /// <summary>More valid contacts than <see cref="RegistrarSettings.MaxContacts"/> (SIP 503, Kamailio's R_TOO_MANY).</summary>
    TooManyContacts,

    /// <summary>A value that cannot be stored, e.g. longer than its column (SIP 400).</summary>
    InvalidContact,

    /// <summary>The request is incomplete or contradictory (no Call-ID, a negative expires, contacts with <c>*</c>; SIP 400).</summary>
    InvalidRequest,
}

/// <summary>
/// The result of applying a REGISTER to an AOR's bindings: either accepted, with the new bindings and the exact
/// writes that turn the stored rows into them, or rejected with nothing to write.
/// </summary>
public sealed record RegisterOutcome
{
    private RegisterOutcome(RegisterAction? action, RegisterRejection? rejection, string? reason, AorBindings bindings,
        IReadOnlyList<ContactBinding> upserts, IReadOnlyList<string> deletedRuids)
    {
        Action = action;
        Rejection = rejection;
        Reason = reason;
        Bindings = bindings;
        Upserts = upserts;
        DeletedRuids = deletedRuids;
    }

    /// <summary>Set when the REGISTER was accepted.</summary>
    public RegisterAction? Action { get; }

    /// <summary>Set when the REGISTER was refused; <see cref="Reason"/> says why in words.</summary>
    public RegisterRejection? Rejection { get; }

    public string? Reason { get; }

    public bool Accepted => Action is not null;

    /// <summary>The AOR's bindings after the REGISTER (unchanged when rejected).</summary>
    public AorBindings Bindings { get; }

    /// <summary>Rows to REPLACE (new or changed bindings, ruid kept on update).</summary>
    public IReadOnlyList<ContactBinding> Upserts { get; }

    /// <summary>Rows to DELETE, by ruid.</summary>
    public IReadOnlyList<string> DeletedRuids { get; }

    public bool HasWrites => Upserts.Count > 0 || DeletedRuids.Count > 0;

    internal static RegisterOutcome Accept(RegisterAction action, AorBindings bindings, IReadOnlyList<ContactBinding> upserts,
        IReadOnlyList<string> deleted) => new(action, null, null, bindings, upserts, deleted);

    internal static RegisterOutcome Reject(RegisterRejection rejection, string reason, AorBindings unchanged) =>
        new(null, rejection, reason, unchanged, [], []);
}
