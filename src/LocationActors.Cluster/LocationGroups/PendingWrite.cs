using Akka.Actor;
using LocationActors.Cluster.DbHandles;
using LocationActors.Domain.Registrations;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>What the write policy makes of a write every asked member has answered.</summary>
public enum WriteVerdict
{
    /// <summary>Stored where the policy wants it: the caller hears success.</summary>
    Acknowledged,

    /// <summary>
    /// All-active: stored on members that take traffic, missed by others that failed. Their fate decides: a member
    /// turned off no longer counts, one that stays on is resynchronised; either way every member taking traffic then
    /// has the write, and the caller waits for that rather than hearing "unavailable".
    /// </summary>
    WaitForMissing,

    /// <summary>Not stored where the policy wants it: the caller hears "unavailable".</summary>
    Unavailable,
}

/// <summary>
/// A write in flight to a group's members: the AOR's bindings once stored, who waits for the answer, which members
/// have not answered yet, and how each answered.
/// </summary>
public sealed record PendingWrite(IActorRef ReplyTo, object Reply, long RequestId, string Key, AorBindings Next, HashSet<int> Awaiting,
    List<(int No, string Error, bool Refused)> Failures, HashSet<int> StoredOn, WriteRows Write)
{
    public int Stored => StoredOn.Count;

    /// <summary>Members sent the write without waiting for them: it is queued behind a copy to them (<see cref="StopAwaiting"/>).</summary>
    public HashSet<int> Trailing { get; } = [];

    /// <summary>Members asked that have answered.</summary>
    public int Asked => Stored + Failures.Count;

    /// <summary>
    /// Member <paramref name="no"/> answered (<paramref name="error"/> null: stored; <paramref name="refused"/>: it
    /// refused the rows as invalid). True when that was the last answer awaited; false when more are awaited or the
    /// member was not asked (a late answer of a member that was given up on).
    /// </summary>
    public bool Answer(int no, string? error, bool refused = false)
    {
        if (Trailing.Remove(no))
        {
            Record(no, error, refused); // counts in the verdict, decides nothing by itself
            return false;
        }

        if (!Awaiting.Remove(no))
            return false;
        Record(no, error, refused);
        if (Awaiting.Count > 0)
            return false;
        // Stored nowhere it was waited for: the members that have it queued behind their copy decide after all.
        if (Stored == 0 && Trailing.Count > 0)
        {
            Awaiting.UnionWith(Trailing);
            Trailing.Clear();
            return false;
        }

        return true;
    }

    private void Record(int no, string? error, bool refused)
    {
        if (error is not null)
            Failures.Add((no, error, refused));
        else
            StoredOn.Add(no);
    }

    /// <summary>
    /// Member <paramref name="no"/> is asked again (it returns to traffic and gets the write re-sent): an earlier
    /// failure there is forgotten, its new answer counts and is waited for, also when the write trailed an earlier copy
    /// there. False when it stored the write already or is being asked.
    /// </summary>
    public bool AskAgain(int no)
    {
        if (StoredOn.Contains(no) || Awaiting.Contains(no))
            return false;
        Trailing.Remove(no);
        Awaiting.Add(no);
        Failures.RemoveAll(f => f.No == no);
        return true;
    }

    /// <summary>
    /// Member <paramref name="no"/>'s copy began, and this write is queued behind it there: the write stops waiting for
    /// its answer, unless no other member stored or may still store it. True when that was the last answer awaited.
    /// </summary>
    public bool StopAwaiting(int no)
    {
        if (!Awaiting.Contains(no) || (Awaiting.Count == 1 && Stored == 0))
            return false;
        Awaiting.Remove(no);
        Trailing.Add(no);
        return Awaiting.Count == 0;
    }

    /// <summary>The members that take traffic and failed the write (not refused it): they miss it.</summary>
    public IReadOnlyList<int> MissingOn(Func<int, bool> takesTraffic) =>
        Failures.Where(f => !f.Refused && takesTraffic(f.No)).Select(f => f.No).Distinct().ToList();

    /// <summary>The verdict once every asked member answered. All-active counts only members that still take traffic.</summary>
    public WriteVerdict Verdict(WritePolicy policy, Func<int, bool> takesTraffic)
    {
        var anyRefused = Failures.Any(f => f.Refused);
        var storedWhereItCounts = StoredOn.Any(takesTraffic);
        var missing = MissingOn(takesTraffic).Count;
        var acknowledged = policy switch
        {
            WritePolicy.One => Stored >= 1,
            WritePolicy.Majority => Stored * 2 > Asked,
            _ => storedWhereItCounts && !anyRefused && missing == 0,
        };
        if (acknowledged)
            return WriteVerdict.Acknowledged;
        return policy == WritePolicy.AllActive && !anyRefused && missing > 0 && storedWhereItCounts ? WriteVerdict.WaitForMissing : WriteVerdict.Unavailable;
    }
}
