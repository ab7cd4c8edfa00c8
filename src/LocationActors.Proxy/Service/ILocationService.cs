using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;
using LocationActors.Proxy.Client;

namespace LocationActors.Proxy.Service;

/// <summary>
/// The location service as a .NET API: what the HTTP API and the SIP front end call. Every method answers within
/// the proxy's request timeout, with the cluster's answer or a <see cref="Failure"/> — it never throws for a
/// cluster that is down, and never reports stored what the cluster did not store.
/// </summary>
public interface ILocationService
{
    /// <summary>The cluster as last read (routing, status, readiness).</summary>
    ClusterView View { get; }

    /// <summary>
    /// An AOR from what a user typed or a request carried: a SIP URI (<c>sip:alice@example.com</c>) or an AOR as
    /// stored (<c>alice</c>, <c>alice@example.com</c> with use-domain), normalised with the cluster's rules.
    /// </summary>
    Result<Aor> ParseAor(string text);

    /// <summary>The group that holds <paramref name="aor"/> (p_usrloc's partition function), or why it cannot be known yet.</summary>
    Result<int> GroupOf(Aor aor);

    Task<Result<LookupResult>> LookupAsync(Aor aor, uint? methodBit = null, CancellationToken ct = default);

    /// <summary>Applies a REGISTER; a refusal by the registrar is a <see cref="FailureKind.Refused"/> failure.</summary>
    Task<Result<RegisterResult>> RegisterAsync(RegisterRequest request, CancellationToken ct = default);

    Task<Result<ContactsRemoved>> RemoveAorAsync(Aor aor, CancellationToken ct = default);

    Task<Result<ContactsRemoved>> RemoveContactAsync(Aor aor, string contact, CancellationToken ct = default);

    /// <summary>Every binding of every group, page by page; a group that cannot answer ends it with a failure.</summary>
    IAsyncEnumerable<DumpItem> DumpAsync(CancellationToken ct = default);

    /// <summary>An operator's change of a locdb member: maintenance or activate.</summary>
    Task<Result<LocDbMemberChanged>> ChangeMemberAsync(int groupId, int no, MemberChange change, CancellationToken ct = default);
}

/// <summary>Why a request was not done.</summary>
public enum FailureKind
{
    /// <summary>The request itself is wrong (a malformed AOR, an unknown group); retrying will not help.</summary>
    Invalid,

    /// <summary>The registrar refused it (e.g. an old CSeq, too many contacts); nothing changed.</summary>
    Refused,

    /// <summary>The cluster cannot do it now (unreachable, no member database takes writes); retry later.</summary>
    Unavailable,
}

public sealed record Failure(FailureKind Kind, string Reason, RegisterRejection? Rejection = null);

/// <summary>A value, or the failure that prevented it.</summary>
public readonly record struct Result<T>(T? Value, Failure? Failure)
{
    public bool Ok => Failure is null;

    public static implicit operator Result<T>(T value) => new(value, null);

    public static implicit operator Result<T>(Failure failure) => new(default, failure);
}

/// <summary>One binding of a dump, or (<see cref="Binding"/> null) the failure that ended it.</summary>
public sealed record DumpItem(string Table, int Group, ContactBinding? Binding, Failure? Failure);
