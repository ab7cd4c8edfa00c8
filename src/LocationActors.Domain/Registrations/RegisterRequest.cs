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
public sealed record RegisterRequest(
    Aor Aor,
    IReadOnlyList<ContactUpdate> Contacts,
    string CallId,
    int CSeq,
    string? Path = null,
    string? UserAgent = null,
    string? Socket = null,
    bool RemoveAll = false);
