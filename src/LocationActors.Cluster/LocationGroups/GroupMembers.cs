using Akka.Actor;
using LocationActors.Domain.LocDb;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>
/// One member database of a group as the group knows it: its <c>locdb</c> row, its handle while it takes traffic, the
/// errors counted against it, and whether it missed writes and is being brought up to date. Changed only through
/// <see cref="GroupMembers"/>, which makes the decisions.
/// </summary>
public sealed class GroupMember(LocDbRow row)
{
    public LocDbRow Row { get; internal set; } = row;

    public int No => Row.No;

    /// <summary>Its database handle while it takes traffic; null while it does not.</summary>
    public IActorRef? Handle { get; internal set; }

    public bool TakesTraffic => Handle is not null;

    /// <summary>Sends to its handle (from the group, which is the sender); only a member that takes traffic has one.</summary>
    public void Send(object message) => (Handle ?? throw new InvalidOperationException($"member {No} takes no traffic")).Tell(message);

    /// <summary>Errors counted against it, as <c>locdb</c> knows them (counts of ours may still be on their way).</summary>
    public int Errors { get; internal set; }

    /// <summary>Its copy (<see cref="Resync"/>) is under way: its database answered when the copy began.</summary>
    public bool CopyUnderway { get; internal set; }

    /// <summary>Turned off here, when <c>locdb</c>'s row had this failover stamp: it stays out until that row changes.</summary>
    public long? TurnedOffAt { get; internal set; }

    /// <summary>An off member whose probe is in flight.</summary>
    public bool Probing { get; internal set; }

    /// <summary>The resync (or catch-up) in flight: the failover stamp it covers and its run number.</summary>
    public (long Stamp, long Run)? Resync { get; internal set; }

    /// <summary>The failover stamp its last completed resync covered.</summary>
    public long ResyncedFor { get; internal set; }

    /// <summary>It missed writes, whatever its failover stamp says (it joined, its handle was lost, a write failed there).</summary>
    public bool MissedWrites { get; internal set; }

    /// <summary>It missed a write while its resync ran: that copy may have been taken before the write.</summary>
    public bool MissedDuringResync { get; internal set; }

    /// <summary>Shared-databases mode: it missed writes, and no other member can be read to catch up from.</summary>
    public bool WaitingForSource { get; internal set; }

    /// <summary>Its failover stamp says it missed writes (off, new, a spare), and no resync since covered that stamp.</summary>
    public bool IsRecovering => !LocDbRow.IsReset(Row.Failover) && ResyncedFor != Row.Failover;

    /// <summary>Holds every write of the group: it neither missed one nor is being brought up to date.</summary>
    public bool HoldsEverything => !MissedWrites && Resync is null;

    /// <summary>Takes traffic and missed writes, and no resync is under way yet.</summary>
    public bool NeedsResync => TakesTraffic && Resync is null && (IsRecovering || MissedWrites);
}

/// <summary>What counting a member's error decided.</summary>
/// <param name="Counted">The error is written to <c>locdb</c> (it was below the threshold).</param>
/// <param name="TurnOff">The member reached the threshold: it leaves traffic and is turned off in <c>locdb</c>.</param>
public readonly record struct ErrorCount(bool Counted, bool TurnOff, int Errors);

/// <summary>What a new <c>locdb</c> layout changes: members that leave traffic (with their row before) and rows that join.</summary>
public sealed record MembersChange(IReadOnlyList<(GroupMember Member, LocDbRow Before)> Leaving, IReadOnlyList<GroupMember> Joining);

/// <summary>
/// The members of one location group, one record each, and p_usrloc's rules over them: which members take traffic
/// (the first <c>membersPerGroup</c> rows that are on and not turned off here), the read order, the error threshold,
/// which off members to probe, and who needs a resync and from where. No actor and no database: the group acts on
/// what it decides.
/// </summary>
public sealed class GroupMembers(int membersPerGroup)
{
    private readonly SortedDictionary<int, GroupMember> _byNo = new();
    private long _resyncRun;

    /// <summary>The members that take traffic, by number.</summary>
    public IEnumerable<GroupMember> Active => _byNo.Values.Where(m => m.TakesTraffic);

    public IReadOnlyList<int> ActiveNumbers => Active.Select(m => m.No).ToList();

    /// <summary>
    /// The active members a write waits for: all but those being copied to (a resync under way), which get
    /// the write queued behind the copy. A copy of a million rows takes most of a minute, and every write would wait
    /// for it; memory and the other members hold the write meanwhile, as they do while a member is off. A member whose
    /// database did not answer when its copy began is waited for: p_usrloc's all-active fails writes on a failing
    /// member until the error threshold turns it off. When every active member is being copied to, the write waits
    /// for them all.
    /// </summary>
    public IReadOnlyList<int> AwaitedNumbers => Active.Where(m => !m.CopyUnderway).Select(m => m.No).ToList() is { Count: > 0 } awaited
        ? awaited
        : ActiveNumbers;

    /// <summary>The member's database answered as its copy began (ignored when no copy is in flight).</summary>
    public void CopyBegan(GroupMember member) => member.CopyUnderway = member.Resync is not null;

    public bool Any => Active.Any();

    /// <summary>The number of the last resync started; a write held now is covered by the next one.</summary>
    public long LastResyncRun => _resyncRun;

    public bool TakesTraffic(int no) => ActiveMember(no) is not null;

    public GroupMember? ActiveMember(int no) => _byNo.TryGetValue(no, out var member) && member.TakesTraffic ? member : null;

    /// <summary>The member whose handle this is; null for a handle the group has let go.</summary>
    public GroupMember? WithHandle(IActorRef handle) => Active.FirstOrDefault(m => m.Handle!.Equals(handle));

    /// <summary>p_usrloc's read order of the active members: the oldest failover first, then the lower <c>no</c>.</summary>
    public IEnumerable<GroupMember> InReadOrder() => Active.OrderBy(m => m.Row.Failover).ThenBy(m => m.No);

    /// <summary>
    /// Takes <c>locdb</c>'s rows. A member leaves traffic when its row is gone, off, turned off here or has a new url;
    /// an active row without a handle joins. Error counts follow <c>locdb</c> (other writers count too), keeping a
    /// higher count of ours until it is written, and restart from <c>locdb</c>'s when the member is switched on again.
    /// </summary>
    public MembersChange Apply(IReadOnlyList<LocDbRow> rows)
    {
        var firstRows = rows.OrderBy(r => r.No).Take(membersPerGroup).ToDictionary(r => r.No);
        var leaving = new List<(GroupMember, LocDbRow)>();
        foreach (var gone in _byNo.Values.Where(m => !firstRows.ContainsKey(m.No)).ToList())
        {
            if (gone.TakesTraffic)
                leaving.Add((gone, gone.Row));
            _byNo.Remove(gone.No);
        }

        foreach (var row in firstRows.Values)
        {
            if (!_byNo.TryGetValue(row.No, out var member))
                _byNo[row.No] = member = new GroupMember(row);
            var before = member.Row;
            var reactivated = before.Status != LocDbStatus.On && row.Status == LocDbStatus.On;
            member.Errors = reactivated ? row.Errors : Math.Max(row.Errors, member.Errors);
            // Every off/on switch stamps failover: a changed row means locdb has caught up with a turn-off made here.
            if (member.TurnedOffAt is { } then && (row.Status != LocDbStatus.On || row.Failover != then))
                member.TurnedOffAt = null;
            member.Row = row;
            var active = row.Status == LocDbStatus.On && member.TurnedOffAt is null;
            if (member.TakesTraffic && (!active || row.Url != before.Url))
                leaving.Add((member, before));
        }

        var joining = firstRows.Values
            .Where(r => r.Status == LocDbStatus.On && _byNo[r.No].TurnedOffAt is null)
            .Select(r => _byNo[r.No])
            .Where(m => !m.TakesTraffic || leaving.Any(l => l.Item1 == m))
            .ToList();
        return new MembersChange(leaving, joining);
    }

    /// <summary>The member takes traffic through <paramref name="handle"/>; <paramref name="missedWrites"/> when the group was serving without it.</summary>
    public void Join(GroupMember member, IActorRef handle, bool missedWrites)
    {
        member.Handle = handle;
        member.MissedWrites = missedWrites;
    }

    /// <summary>The member leaves traffic; its handle (returned) is to be stopped. A resync in it dies with it.</summary>
    public IActorRef? Leave(GroupMember member)
    {
        var handle = member.Handle;
        member.Handle = null;
        (member.Resync, member.CopyUnderway) = (null, false);
        member.MissedWrites = member.MissedDuringResync = member.WaitingForSource = false;
        return handle;
    }

    /// <summary>Its handle stopped and a new one replaces it: what the old one had queued, a resync too, is lost.</summary>
    public void ReplaceHandle(GroupMember member, IActorRef handle, bool serving)
    {
        member.Handle = handle;
        (member.Resync, member.CopyUnderway) = (null, false);
        member.MissedDuringResync = false;
        if (serving)
            member.MissedWrites = true;
    }

    /// <summary>
    /// p_usrloc's error handling: each error is counted in <c>locdb</c> while below the threshold; the error that
    /// reaches it turns the member off, and it stays out here until <c>locdb</c> shows the change.
    /// </summary>
    public ErrorCount CountError(int no, int threshold)
    {
        if (ActiveMember(no) is not { } member)
            return default;
        var counted = member.Errors < threshold;
        if (counted)
            member.Errors++;
        if (member.Errors < threshold)
            return new ErrorCount(counted, false, member.Errors);
        member.TurnedOffAt = member.Row.Failover;
        return new ErrorCount(counted, true, member.Errors);
    }

    /// <summary>Off members (or turned off here) without a probe in flight; each is now being probed.</summary>
    public IReadOnlyList<GroupMember> StartProbes()
    {
        var due = _byNo.Values.Where(m => (m.Row.Status == LocDbStatus.Off || m.TurnedOffAt is not null) && !m.Probing).ToList();
        foreach (var member in due)
            member.Probing = true;
        return due;
    }

    public void ProbeDone(int no)
    {
        if (_byNo.TryGetValue(no, out var member))
            member.Probing = false;
    }

    /// <summary>
    /// A write another member stored failed on this one (it stays in traffic). True when that is news worth writing
    /// to <c>locdb</c> in shared mode: it was neither known to miss writes nor recovering already.
    /// </summary>
    public bool MissedWrite(GroupMember member)
    {
        var news = !member.MissedWrites && !member.IsRecovering;
        member.MissedWrites = true;
        if (member.Resync is not null)
            member.MissedDuringResync = true;
        return news;
    }

    /// <summary>After a warm-up from <paramref name="loadedFrom"/>: every other member is brought to what it holds.</summary>
    public void AllMissedExcept(int loadedFrom)
    {
        foreach (var member in Active.Where(m => m.No != loadedFrom))
            member.MissedWrites = true;
    }

    /// <summary>Shared mode: the member needs a catch-up and no member can be its source. True the first time (worth a log line).</summary>
    public bool NoSourceFor(GroupMember member)
    {
        var news = !member.WaitingForSource;
        member.WaitingForSource = true;
        return news;
    }

    public IReadOnlyList<GroupMember> NeedingResync() => Active.Where(m => m.NeedsResync).ToList();

    /// <summary>A resync of the member starts; its run number orders it against held writes.</summary>
    public long StartResync(GroupMember member)
    {
        member.Resync = (member.Row.Failover, ++_resyncRun);
        member.WaitingForSource = false;
        return _resyncRun;
    }

    /// <summary>The member's resync completed: what it covered, or null when none was in flight.</summary>
    public (long Stamp, long Run)? CompleteResync(GroupMember member)
    {
        if (member.Resync is not { } resync)
            return null;
        member.Resync = null;
        member.CopyUnderway = false;
        if (!member.MissedDuringResync)
            member.MissedWrites = false;
        member.MissedDuringResync = false;
        member.ResyncedFor = resync.Stamp;
        return resync;
    }

    /// <summary>The resync failed or was lost: it is tried again at the next watch tick.</summary>
    public void ResyncFailed(GroupMember member) => (member.Resync, member.CopyUnderway) = (null, false);

    /// <summary>Every member taking traffic holds every write.</summary>
    public bool AllHoldEverything => Active.All(m => m.HoldsEverything);

    /// <summary>Active members that may not hold every contact yet (a missed write, a copy in progress), by number.</summary>
    public IReadOnlyList<int> CatchingUpNumbers => Active.Where(m => !m.HoldsEverything).Select(m => m.No).Order().ToList();

    /// <summary>
    /// The member a returning member catches up from in shared-databases mode: one that holds everything, a complete
    /// one (not recovering) first and then in p_usrloc's read order — two members both still recovering catch up
    /// from each other in turn. Null when there is none.
    /// </summary>
    public GroupMember? CatchUpSource(int returning) => InReadOrder()
        .Where(m => m.No != returning && m.HoldsEverything)
        .OrderBy(m => m.IsRecovering ? 1 : 0)
        .FirstOrDefault();

    /// <summary>
    /// A member other than <paramref name="no"/> that holds exactly what the group's memory holds: it missed no write,
    /// is not being resynchronised and is not recovering. A resync of <paramref name="no"/> compares with it first.
    /// </summary>
    public GroupMember? CompleteOtherThan(int no) => InReadOrder().FirstOrDefault(m => m.No != no && m.HoldsEverything && !m.IsRecovering);

    /// <summary>
    /// The member to read an AOR from in shared-databases mode: the first in read order that holds everything, else
    /// (as p_usrloc reads a recovering member when no other can be read) the first at all.
    /// </summary>
    public GroupMember? ReadSource(int? except)
    {
        var candidates = InReadOrder().Where(m => m.No != except).ToList();
        return candidates.FirstOrDefault(m => m.HoldsEverything) ?? candidates.FirstOrDefault();
    }

    /// <summary>The members to load the group from, in read order; after a failed one, those that follow it.</summary>
    public IReadOnlyList<GroupMember> WarmUpCandidates(int? after)
    {
        var candidates = InReadOrder().ToList();
        return after is { } failedNo ? candidates.SkipWhile(m => m.No != failedNo).Skip(1).ToList() : candidates;
    }
}
