using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>
/// A message for one location group of one usrloc domain (table): the shard extractor routes on both. A single
/// (unpartitioned) domain has one group, <see cref="UsrlocDomain.SingleGroupId"/>.
/// </summary>
public interface IGroupMessage
{
    int GroupId { get; }

    string Table { get; }
}

/// <summary>A request to a location group; <see cref="IClusterRequest.RequestId"/> lets a long-lived sender match the reply to it.</summary>
public interface IWithGroupId : IGroupMessage, IClusterRequest;

/// <summary>A request about one AOR: the group queues, reads and checks the partition by it.</summary>
public interface IWithAor : IWithGroupId
{
    Aor Aor { get; }
}

/// <summary>Every reply of a location group names the request it answers.</summary>
public interface ILocationGroupReply
{
    long RequestId { get; }
}

/// <summary>Apply a REGISTER to an AOR of the group (per-contact expires already computed by the caller).</summary>
[ProtocolManifest("reg")]
public sealed record RegisterBindings(int GroupId, long RequestId, RegisterRequest Request, string Table = UsrlocDomain.DefaultTable) : IWithAor
{
    Aor IWithAor.Aor => Request.Aor;

    public IClusterRequest WithRequestId(long requestId) => this with { RequestId = requestId };

    /// <summary>A copy sent again: the group answers a REGISTER it already stored as a retransmission (<see cref="RegisterRequest.Repeat"/>).</summary>
    public IClusterRequest AsRepeat() => this with { Request = Request with { Repeat = true } };
}

/// <summary>The AOR's valid contacts, optionally only those that accept a method (Kamailio method bit).</summary>
[ProtocolManifest("lookup")]
public sealed record LookupContacts(int GroupId, long RequestId, Aor Aor, uint? MethodBit = null, string Table = UsrlocDomain.DefaultTable) : IWithAor
{
    public IClusterRequest WithRequestId(long requestId) => this with { RequestId = requestId };
}

/// <summary>Remove the AOR's bindings of one Contact URI.</summary>
[ProtocolManifest("rm-contact")]
public sealed record RemoveContact(int GroupId, long RequestId, Aor Aor, string Contact, string Table = UsrlocDomain.DefaultTable) : IWithAor
{
    public IClusterRequest WithRequestId(long requestId) => this with { RequestId = requestId };
}

/// <summary>Remove every binding of the AOR.</summary>
[ProtocolManifest("rm-aor")]
public sealed record RemoveAor(int GroupId, long RequestId, Aor Aor, string Table = UsrlocDomain.DefaultTable) : IWithAor
{
    public IClusterRequest WithRequestId(long requestId) => this with { RequestId = requestId };
}

/// <summary>
/// Remove one binding that left <see cref="KeepaliveSettings.MaxMissed"/> keepalive pings unanswered, as it was when
/// the group decided so (its Call-ID and CSeq). The group sends it to itself, so it waits behind the AOR's other
/// writes like any change; a binding a REGISTER wrote again meanwhile (another Call-ID or CSeq) stays.
/// </summary>
[ProtocolManifest("rm-unreachable")]
public sealed record DropUnreachable(int GroupId, long RequestId, Aor Aor, string Ruid, string CallId, int CSeq, string Table = UsrlocDomain.DefaultTable)
    : IWithAor
{
    public IClusterRequest WithRequestId(long requestId) => this with { RequestId = requestId };
}

/// <summary>The answer to <see cref="DropUnreachable"/>: whether the binding was still there to remove.</summary>
[ProtocolManifest("unreachable-dropped")]
public sealed record UnreachableDropped(long RequestId, Aor Aor, string Ruid, bool Removed) : ILocationGroupReply;

/// <summary>A page of the group's bindings, AORs in ordinal order after <see cref="After"/> (null = from the start).</summary>
[ProtocolManifest("dump")]
public sealed record DumpGroup(int GroupId, long RequestId, string? After, int PageSize, string Table = UsrlocDomain.DefaultTable) : IWithGroupId
{
    public IClusterRequest WithRequestId(long requestId) => this with { RequestId = requestId };
}

/// <summary>What the group is doing: where it runs, how many contacts it holds, which members take writes.</summary>
[ProtocolManifest("get-status")]
public sealed record GetGroupStatus(int GroupId, long RequestId, string Table = UsrlocDomain.DefaultTable) : IWithGroupId
{
    public IClusterRequest WithRequestId(long requestId) => this with { RequestId = requestId };
}

/// <summary>The answer to <see cref="GetGroupStatus"/>.</summary>
/// <param name="Node">Address of the node that hosts the group, e.g. <c>akka.tcp://location@127.0.0.1:4053</c>.</param>
/// <param name="State">starting, loading, serving or unreadable.</param>
/// <param name="ActiveMembers">The <c>locdb.no</c> of every member that takes writes.</param>
/// <param name="UpNodes">The location nodes the hosting node sees as Up (the cluster as it knows it).</param>
/// <param name="SeenBy">The nodes known to have seen that same membership: when it equals every member, the view has converged.</param>
/// <param name="MembersTurnedOff">Members this group turned off after too many errors since it started on its node.</param>
/// <param name="Resyncs">Members it resynchronised since it started on its node.</param>
/// <param name="CatchingUp">Active members that may not hold every contact yet: they missed a write, or their copy runs.</param>
[ProtocolManifest("status")]
public sealed record GroupStatus(long RequestId, int GroupId, string Node, string State, int AorCount, long ContactCount,
    IReadOnlyList<int> ActiveMembers, IReadOnlyList<string> UpNodes, IReadOnlyList<string> SeenBy, int MembersTurnedOff = 0, int Resyncs = 0,
    IReadOnlyList<int>? CatchingUp = null)
    : ILocationGroupReply;

/// <summary>The REGISTER was applied (and stored per the write policy) or refused; <see cref="Bindings"/> are the AOR's valid contacts.</summary>
[ProtocolManifest("reg-result")]
public sealed record RegisterResult(
    long RequestId,
    Aor Aor,
    RegisterAction? Action,
    RegisterRejection? Rejection,
    string? Reason,
    IReadOnlyList<ContactBinding> Bindings) : ILocationGroupReply;

/// <summary>The AOR's valid contacts in Kamailio order (q descending, ties oldest first); empty = not found.</summary>
[ProtocolManifest("lookup-result")]
public sealed record LookupResult(long RequestId, Aor Aor, IReadOnlyList<ContactBinding> Contacts) : ILocationGroupReply;

/// <summary>How many bindings a removal deleted.</summary>
[ProtocolManifest("removed")]
public sealed record ContactsRemoved(long RequestId, Aor Aor, int Count) : ILocationGroupReply;

/// <summary>One page of a dump; <see cref="Next"/> is the <c>After</c> of the next page, null at the end.</summary>
[ProtocolManifest("dump-page")]
public sealed record DumpPage(long RequestId, int GroupId, IReadOnlyList<ContactBinding> Bindings, string? Next) : ILocationGroupReply;

/// <summary>The group cannot do this now (no member database takes writes, or a write failed): nothing was promised.</summary>
[ProtocolManifest("unavailable")]
public sealed record GroupUnavailable(long RequestId, int GroupId, string Reason) : ILocationGroupReply;

/// <summary>The group is starting (loading its contacts) and its queue is full: retry shortly.</summary>
[ProtocolManifest("busy")]
public sealed record GroupBusy(long RequestId, int GroupId, string Reason) : ILocationGroupReply;

/// <summary>The request itself is wrong (e.g. the AOR belongs to another group); retrying it will not help.</summary>
[ProtocolManifest("rejected")]
public sealed record RequestRejected(long RequestId, string Reason) : ILocationGroupReply;

// ---- the group's own messages (timers, probes): never sent by anyone else ---------------------------------------

/// <summary>Ask the cluster-config actor for the layout again (it may not have answered yet).</summary>
internal sealed class AskLayout
{
    public static readonly AskLayout Instance = new();
}

/// <summary>No member could be read: try loading the contacts again.</summary>
internal sealed class RetryWarmUp
{
    public static readonly RetryWarmUp Instance = new();
}

/// <summary>Remove expired contacts from memory and the members.</summary>
internal sealed class ExpireTick
{
    public static readonly ExpireTick Instance = new();
}

/// <summary>Ping the contacts whose second of the keepalive interval came.</summary>
internal sealed class KeepaliveTick
{
    public static readonly KeepaliveTick Instance = new();
}

/// <summary>A batch of pings whose turn in the second came (the second's batches are spread over it).</summary>
internal sealed record SendPings(ProxyLinks.PingContacts Batch);

/// <summary>p_usrloc's watcher interval: expire held replies, probe off members, retry failed resyncs.</summary>
internal sealed class WatchTick
{
    public static readonly WatchTick Instance = new();
}

/// <summary>A probe of an off member finished; <see cref="Error"/> is null when it answered.</summary>
internal sealed record ProbeAnswered(int No, string? Error);
