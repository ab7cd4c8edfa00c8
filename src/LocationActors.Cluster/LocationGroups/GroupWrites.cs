using Akka.Actor;
using LocationActors.Cluster.DbHandles;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>A request waiting for the AOR it names to be free (a write or a read of that AOR is under way).</summary>
public sealed record WaitingRequest(IWithAor Request, IActorRef Sender);

/// <summary>A write answered on some members, whose reply waits for the members it missed (→ the resync run that covers it).</summary>
public sealed record HeldReply(PendingWrite Pending, Dictionary<int, long> MissingOn, DateTime Since);

/// <summary>
/// A location group's writes: those in flight to its members, the requests waiting behind a busy AOR (each then
/// sees the outcome of the one before it, as if they ran one after the other), the replies held until the members a
/// write missed are resynchronised, and the "dirty" AORs whose last change some member missed. No actor and no
/// database: the group sends what this decides.
/// </summary>
public sealed class GroupWrites
{
    private readonly Dictionary<long, PendingWrite> _pending = new();
    private readonly Dictionary<string, Queue<WaitingRequest>> _busy = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _dirty = new(StringComparer.Ordinal); // AOR → ruids deleted since it became dirty
    private readonly List<HeldReply> _held = [];
    private long _seq;

    /// <summary>The sequence number of the last write begun; a request that wrote nothing leaves it unchanged.</summary>
    public long LastSeq => _seq;

    /// <summary>The writes in flight.</summary>
    public IEnumerable<PendingWrite> InFlight => _pending.Values;

    public int HeldCount => _held.Count;

    /// <summary>A write or a read for a change of this AOR is under way: requests for it wait.</summary>
    public bool IsBusy(string key) => _busy.ContainsKey(key);

    /// <summary>Queues the request behind the AOR's write when it is busy; false when it is free.</summary>
    public bool WaitBehind(string key, IWithAor request, IActorRef sender)
    {
        if (!_busy.TryGetValue(key, out var waiting))
            return false;
        waiting.Enqueue(new WaitingRequest(request, sender));
        return true;
    }

    /// <summary>The AOR is busy (a read for a change is under way) until <see cref="RunWaiting"/>.</summary>
    public void MarkBusy(string key) => _busy.TryAdd(key, new Queue<WaitingRequest>());

    /// <summary>
    /// The AOR is free: the requests that waited run in their order through <paramref name="dispatch"/>; one that
    /// makes it busy again (a new write or read) makes the rest wait behind it.
    /// </summary>
    public void RunWaiting(string key, Action<WaitingRequest> dispatch)
    {
        if (!_busy.Remove(key, out var waiting))
            return;
        while (waiting.TryDequeue(out var next))
        {
            dispatch(next);
            if (!_busy.TryGetValue(key, out var behind))
                continue;
            while (waiting.TryDequeue(out var rest))
                behind.Enqueue(rest);
            return;
        }
    }

    public bool IsDirty(string key) => _dirty.ContainsKey(key);

    /// <summary>Every member holds what memory holds (no member missing writes): nothing is dirty.</summary>
    public void AllClean() => _dirty.Clear();

    /// <summary>
    /// Begins a change of one AOR on <paramref name="members"/>; null when there is nothing to write. A dirty AOR's
    /// write carries its whole state, so it repairs what an earlier write left out on some member.
    /// </summary>
    public PendingWrite? Begin(IActorRef replyTo, object reply, long requestId, string key, AorBindings next,
        IReadOnlyList<ContactBinding> upserts, IReadOnlyList<string> deletes, IEnumerable<int> members)
    {
        if (_dirty.TryGetValue(key, out var deletedBefore))
        {
            upserts = next.ToList();
            deletes = deletes.Union(deletedBefore).Except(upserts.Select(b => b.Ruid)).ToList();
        }

        if (upserts.Count == 0 && deletes.Count == 0)
            return null;
        var pending = new PendingWrite(replyTo, reply, requestId, key, next, [.. members], [], [], new WriteRows(++_seq, upserts, deletes));
        _pending[pending.Write.Seq] = pending;
        MarkBusy(key);
        return pending;
    }

    /// <summary>One member's answer for one write; the write, no longer in flight, once every member asked answered.</summary>
    public PendingWrite? Settle(long seq, int memberNo, string? error, bool refused = false)
    {
        if (!_pending.TryGetValue(seq, out var pending) || !pending.Answer(memberNo, error, refused))
            return null;
        _pending.Remove(seq);
        return pending;
    }

    /// <summary>
    /// Member <paramref name="no"/>'s copy began: every write still waiting for it is queued behind the copy there (it
    /// answered every write queued before), and stops waiting for it (<see cref="PendingWrite.StopAwaiting"/>). Returns
    /// the writes no longer in flight, every answer they wait for given.
    /// </summary>
    public IReadOnlyList<PendingWrite> StopAwaiting(int no)
    {
        var done = new List<PendingWrite>();
        foreach (var pending in _pending.Values)
        {
            if (pending.StopAwaiting(no))
                done.Add(pending);
        }

        foreach (var pending in done)
            _pending.Remove(pending.Write.Seq);
        return done;
    }

    /// <summary>Whether write <paramref name="seq"/> is in flight and expects member <paramref name="no"/>'s answer (waited for or trailing).</summary>
    public bool Expects(long seq, int no) => _pending.TryGetValue(seq, out var pending) && (pending.Awaiting.Contains(no) || pending.Trailing.Contains(no));

    /// <summary>The writes still waiting for member <paramref name="no"/>'s answer.</summary>
    public IReadOnlyList<long> AwaitingFrom(int no) => _pending.Where(p => p.Value.Awaiting.Contains(no)).Select(p => p.Key).ToList();

    /// <summary>
    /// A write some member stored: when members that take traffic missed it, the AOR is dirty until they are
    /// resynchronised; when every member asked stored it, the AOR is clean again.
    /// </summary>
    public void Stored(PendingWrite pending, IReadOnlyCollection<int> missedOn)
    {
        if (missedOn.Count == 0)
        {
            if (pending.Failures.Count == 0)
                _dirty.Remove(pending.Key);
            return;
        }

        if (!_dirty.TryGetValue(pending.Key, out var deleted))
            _dirty[pending.Key] = deleted = new HashSet<string>(StringComparer.Ordinal);
        deleted.UnionWith(pending.Write.DeletedRuids);
    }

    /// <summary>Holds a write's reply until each member it missed is covered by resync run <paramref name="coveredByRun"/> or leaves.</summary>
    public void Hold(PendingWrite pending, IEnumerable<int> missingOn, long coveredByRun, DateTime now) =>
        _held.Add(new HeldReply(pending, missingOn.ToDictionary(no => no, _ => coveredByRun), now));

    /// <summary>
    /// Member <paramref name="no"/> now holds what was held for it (resync run <paramref name="run"/> completed;
    /// a run covers the writes held before it started), or no longer counts (it left traffic: run = max). Returns the
    /// writes no longer waiting for any member.
    /// </summary>
    public IReadOnlyList<PendingWrite> Release(int no, long run)
    {
        var released = new List<PendingWrite>();
        foreach (var held in _held.ToList())
        {
            if (held.MissingOn.TryGetValue(no, out var needed) && run >= needed)
                held.MissingOn.Remove(no);
            if (held.MissingOn.Count > 0)
                continue;
            _held.Remove(held);
            released.Add(held.Pending);
        }

        return released;
    }

    /// <summary>The held writes older than <paramref name="limit"/>, no longer held: their missing members neither came back nor left.</summary>
    public IReadOnlyList<PendingWrite> ExpireHeld(DateTime limit)
    {
        var expired = _held.Where(h => h.Since < limit).ToList();
        foreach (var held in expired)
            _held.Remove(held);
        return expired.Select(h => h.Pending).ToList();
    }
}
