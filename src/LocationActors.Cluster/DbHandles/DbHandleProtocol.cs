using Akka.Actor;
using LocationActors.Domain.Contacts;
using LocationActors.Storage;

namespace LocationActors.Cluster.DbHandles;

/// <summary>Rows a location group wants on its member database: REPLACE these, DELETE those ruids.</summary>
/// <param name="Seq">The group's sequence number of this write; acknowledgements name it.</param>
public sealed record WriteRows(long Seq, IReadOnlyList<ContactBinding> Upserts, IReadOnlyList<string> DeletedRuids)
{
    public int RowCount => Upserts.Count + DeletedRuids.Count;
}

/// <summary>The writes <paramref name="Seqs"/> are stored on member <paramref name="MemberNo"/>.</summary>
public sealed record RowsWritten(int MemberNo, IReadOnlyList<long> Seqs);

/// <summary>The writes <paramref name="Seqs"/> could not be stored on member <paramref name="MemberNo"/>.</summary>
/// <param name="HandleRestarts">
/// The handle fails with <see cref="MemberDatabaseFailed"/> on this error: its supervisor counts the error once, for
/// the crash, not again for each write.
/// </param>
public sealed record RowsWriteFailed(int MemberNo, IReadOnlyList<long> Seqs, StorageException Error, bool HandleRestarts = false);

/// <summary>Delete rows that expired at or before <paramref name="Now"/> (also those written by others, e.g. Kamailio).</summary>
public sealed record DeleteExpiredRows(long Now);

/// <summary>How many expired rows member <paramref name="MemberNo"/> deleted.</summary>
public sealed record ExpiredRowsDeleted(int MemberNo, int Count);

/// <summary>Make the member hold exactly these bindings (a recovered member catching up); queued in order with writes.</summary>
/// <param name="SameAs">
/// A member whose table the snapshot is known to equal (the one the group loaded from, having missed nothing since),
/// or null. When both servers compute the same digest of their tables, the member already holds the snapshot and
/// nothing is read or written: after a takeover, members that agree cost two server-side scans instead of a full read.
/// </param>
public sealed record ResyncRows(IReadOnlyCollection<ContactBinding> Snapshot, ResyncSource? SameAs = null);

/// <summary>A member to compare with by digest (<see cref="ResyncRows.SameAs"/>); the member handle disposes what it opens.</summary>
public sealed record ResyncSource(int No, Func<LocationDatabase> Open);

/// <summary>
/// Shared-databases mode: bring the member up to date from the complete member <paramref name="SourceNo"/>, whose
/// table (not the group's memory) is the truth while other writers use the databases (<see cref="SharedCatchUp"/>).
/// Queued in order with writes, like <see cref="ResyncRows"/>.
/// </summary>
/// <param name="OpenSource">Opens a handle of the complete member for this run; the member handle disposes it.</param>
/// <param name="SourceComplete">
/// False when the source missed writes too (both members recovering): rows only this member holds are then kept.
/// </param>
public sealed record CatchUpFrom(int SourceNo, Func<LocationDatabase> OpenSource, bool SourceComplete = true);

/// <summary>
/// The member's database answered as its resync (a copy from memory) began: the group no longer waits for it in
/// writes, which land behind the copy. A member that cannot answer is still waited for, as p_usrloc's all-active does.
/// A catch-up beside other writers (shared databases) is not announced: writes wait for it, as they always did.
/// </summary>
public sealed record CopyUnderway(int MemberNo);

/// <summary>The member now holds the snapshot, or caught up with the complete member (and, after it, every write that followed).</summary>
/// <param name="Count">Contacts in the snapshot, or rows read on the complete member.</param>
public sealed record Resynced(int MemberNo, long Count);

/// <summary>The copy failed; the member keeps what it had and stays unreadable.</summary>
/// <param name="MemberAtFault">
/// This member's database failed the copy. False when the complete member failed, or when the copy was not tried
/// because the member is known to be down (its failure was counted when it happened): nothing more counts against it.
/// </param>
public sealed record ResyncFailed(int MemberNo, StorageException Error, bool MemberAtFault = true);

/// <summary>
/// Thrown by a <see cref="DbHandle"/> when its database failed a statement for a reason of the server's own (a lost
/// connection, a timeout: a dead or frozen server), for its supervising location group to handle: the group counts
/// the error against the member and restarts the handle, which then fails writes at once until its database answers
/// a probe, probing with backoff. What the handle held was answered before it threw, as messages
/// (<see cref="RowsWriteFailed"/> with <c>HandleRestarts</c>, <see cref="ResyncFailed"/>, <see cref="AorReadFailed"/>).
/// </summary>
/// <param name="Handle">The handle that failed, so a group can tell it from a handle it has already replaced.</param>
/// <param name="Attempt">Failures in a row without a successful statement between them; the restart backs off by it.</param>
public sealed class MemberDatabaseFailed(int memberNo, IActorRef handle, int attempt, StorageException error)
    : Exception($"member {memberNo} failed: {error.Message}", error)
{
    public int MemberNo { get; } = memberNo;

    public IActorRef Handle { get; } = handle;

    public int Attempt { get; } = attempt;

    public StorageException Error { get; } = error;
}

/// <summary>
/// Read one AOR's rows (shared-databases mode: other writers, such as Kamailio, change the tables too). Queued in
/// order with the writes, so it sees every write sent to this member before it.
/// </summary>
public sealed record ReadAor(long Token, string Username, string? Domain);

/// <summary>The AOR's rows as the member holds them now (expired ones included: the reader filters).</summary>
public sealed record AorRead(long Token, int MemberNo, IReadOnlyList<ContactBinding> Bindings);

/// <summary>The read failed; the group answers from what it knows.</summary>
public sealed record AorReadFailed(long Token, int MemberNo, StorageException Error);
