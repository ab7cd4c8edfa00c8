using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;

namespace LocationActors.Domain.Registrations;

/// <summary>
/// One Contact of a REGISTER. <see cref="Expires"/> is already the registrar's per-contact value in seconds
/// (Contact param, else Expires header, else default; min/max applied by the caller); 0 removes the binding.
/// </summary>
public sealed record ContactUpdate(
    string Uri,
    long Expires,
    QValue Q,
    string? Received = null,
    string? Instance = null,
    int RegId = 0,
    uint? Methods = null,
    int Flags = 0,
    int CFlags = 0);

/// <summary>
/// What a REGISTER asks of an AOR: its contacts (none = just fetch the bindings), or <see cref="RemoveAll"/> for
/// <c>Contact: *</c>. Call-ID and CSeq identify it: a retry carries the same ones and cannot apply twice.
/// </summary>
/// <param name="Repeat">
/// A copy the location proxy sent again because its first attempt went unanswered (the group's node died, the group
/// moved). A binding stored with the same Call-ID and CSeq is then the first copy's work: the copy is answered as a
/// retransmission however late it comes, not refused for its CSeq — the phone must not hear "bad request" for a
/// registration that succeeded.
/// </param>
public sealed record RegisterRequest(
    Aor Aor,
    IReadOnlyList<ContactUpdate> Contacts,
    string CallId,
    int CSeq,
    string? Path = null,
    string? UserAgent = null,
    string? Socket = null,
    bool RemoveAll = false,
    bool Repeat = false)
{
    /// <summary>
    /// What makes the request unusable, or null. Requests arrive over the network, so nothing here is taken for
    /// granted: every field a REGISTER must have, in the ranges the registrar accepts.
    /// </summary>
    public string? Validate()
    {
        if (Aor is null || string.IsNullOrEmpty(Aor.Username))
            return "the AOR is empty";
        if (string.IsNullOrEmpty(CallId))
            return "the Call-ID is empty";
        if (CSeq < 0)
            return $"CSeq {CSeq} is negative";
        if (Contacts is null)
            return "the contact list is missing";
        if (RemoveAll && Contacts.Count > 0)
            return "'*' removes every contact and cannot come with other contacts";
        foreach (var contact in Contacts)
        {
            if (contact is null || string.IsNullOrEmpty(contact.Uri))
                return "a contact has no URI";
            if (contact.Expires < 0)
                return $"{contact.Uri}: expires {contact.Expires} is negative";
            if (contact.Expires > ContactBinding.MaxTime / 2)
                return $"{contact.Uri}: expires {contact.Expires} is beyond any date a database can hold";
        }

        return null;
    }
}
