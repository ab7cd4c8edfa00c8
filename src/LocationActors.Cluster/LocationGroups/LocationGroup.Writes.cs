using Akka.Actor;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.DbHandles;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>The group's requests: a change of an AOR applied with <see cref="AorChangeRules"/>, written to every active member and answered by the write policy (<see cref="GroupWrites"/>, <see cref="PendingWrite"/>); beside other writers, read from a member first.</summary>
public sealed partial class LocationGroup
{
    // ---- requests ---------------------------------------------------------------------------------------------

    /// <summary>Answers a lookup from memory, or from a member's rows when memory may not have them.</summary>
    private void Look(LookupContacts lookup, IActorRef sender)
    {
        if (ReadsFirst(lookup.Aor.Value) && ReadFirst(lookup, sender))
            return;
        sender.Tell(MemoryKnows(lookup.Aor.Value)
            ? new LookupResult(lookup.RequestId, lookup.Aor, _contacts.Get(lookup.Aor).Lookup(_clock(), lookup.MethodBit))
            : NoReadableMember(lookup));
    }

    /// <summary>Runs a change now, or queues it behind the write still pending for the same AOR.</summary>
    private void Dispatch(IWithAor request, IActorRef sender)
    {
        if (_writes.WaitBehind(request.Aor.Value, request, sender))
            return;
        if (ReadsFirst(request.Aor.Value) && ReadFirst(request, sender))
            return;
        if (MemoryKnows(request.Aor.Value))
            Apply(request, sender);
        else
            sender.Tell(NoReadableMember(request));
    }

    /// <summary>
    /// Whether a request for this AOR starts from a member's rows: with other writers on the databases always (the
    /// AOR's rows as they are now), and while the group loads, for an AOR it has not read or written yet.
    /// </summary>
    private bool ReadsFirst(string key) => _settings.SharedDatabases || !MemoryKnows(key);

    /// <summary>Whether memory holds the AOR's whole state: always once loaded; while loading, once read or written.</summary>
    private bool MemoryKnows(string key) => _load is null || _load.IsSettled(key);

    private GroupUnavailable NoReadableMember(IWithAor request) =>
        new(request.RequestId, _groupId, $"group {_groupId} is loading its contacts and no member database could be read for {request.Aor.Value}");

    /// <summary>Applies a change with the group's rules; what it changes is written, anything else answered at once.</summary>
    private void Apply(IWithAor request, IActorRef sender)
    {
        var change = _rules.Apply(request, _contacts.Get(request.Aor), _clock(), _writes.IsDirty(request.Aor.Value));
        if (change.Write)
            Write(sender, change, request);
        else
            sender.Tell(change.Reply);
    }

    /// <summary>
    /// Sends a change of one AOR to every active member. Once each has answered, memory takes the change if any member
    /// stored it (memory mirrors what the databases hold, so a reader of that member — a Kamailio, a warm-up — sees
    /// what a lookup answers), and the caller hears success only if the write policy is met, "unavailable" otherwise:
    /// never a success for something that is not stored. With no active member nothing is tried.
    /// </summary>
    private void Write(IActorRef replyTo, AorChange change, IWithAor request)
    {
        if (!_members.Any)
            replyTo.Tell(new GroupUnavailable(request.RequestId, _groupId, $"group {_groupId} has no active member database"));
        else if (_writes.Begin(replyTo, change.Reply, request.RequestId, request.Aor.Value, change.Next, change.Upserts, change.Deletes,
                     _members.AwaitedNumbers) is { } pending)
        {
            pending.Trailing.UnionWith(_members.ActiveNumbers.Except(pending.Awaiting));
            foreach (var member in _members.Active) // a member being copied to too: the write lands on top of the copy
                member.Send(pending.Write);
        }
        else
            replyTo.Tell(change.Reply);
    }

    private void Settle(int memberNo, IReadOnlyList<long> seqs, string? error, bool refused = false)
    {
        foreach (var seq in seqs)
            Settle(seq, memberNo, error, refused);
    }

    /// <summary>One member's answer for one write; the caller hears the write policy's verdict once every member answered.</summary>
    private void Settle(long seq, int memberNo, string? error, bool refused = false)
    {
        if (!_writes.Expects(seq, memberNo))
        {
            // A write decided without this member (sent to it behind its copy, or sent again after a copy) failed
            // there: the member misses it.
            if (error is not null && !refused && _members.ActiveMember(memberNo) is { } member)
                MissedWrites([member]);
            return;
        }

        if (_writes.Settle(seq, memberNo, error, refused) is { } pending)
            Decide(pending);
    }

    /// <summary>Every member a write waited for answered: memory takes what was stored, the caller hears the verdict.</summary>
    private void Decide(PendingWrite pending)
    {
        // A member that failed and has left traffic since no longer counts: it gets a resync when it returns.
        var verdict = pending.Verdict(_settings.WritePolicy, _members.TakesTraffic);
        if (pending.Stored > 0)
            Stored(pending);
        if (verdict == WriteVerdict.WaitForMissing) // answered once the members it missed are resynchronised (the next run) or leave
            _writes.Hold(pending, pending.MissingOn(_members.TakesTraffic), _members.LastResyncRun + 1, DateTime.UtcNow);
        else
            pending.ReplyTo.Tell(verdict == WriteVerdict.Acknowledged ? pending.Reply : Unavailable(pending));
        _writes.RunWaiting(pending.Key, waiting => Dispatch(waiting.Request, waiting.Sender));
    }

    /// <summary>
    /// A write that some member stored enters memory. Nothing stored is taken back: a member that is still active but
    /// missed it is resynchronised at the next watch tick, and until then the AOR is dirty — its next write carries its
    /// whole state. Beside other writers the miss is also written to locdb: their readers avoid the member, and a group
    /// that starts again elsewhere still knows to catch it up.
    /// </summary>
    private void Stored(PendingWrite pending)
    {
        var before = _feed is { Wanted: true } ? _contacts.Get(pending.Key) : null; // unpacked only for the change feed
        _contacts.Set(pending.Key, pending.Next);
        Changed(pending.Key, before, pending.Write.Upserts, pending.Write.DeletedRuids, pending.Reply);
        _load?.Settle(pending.Key); // (it was, by the read before the change)
        var missed = pending.MissingOn(_members.TakesTraffic);
        MissedWrites(missed.Select(no => _members.ActiveMember(no)!));
        _writes.Stored(pending, missed);
    }

    /// <summary>Members that stay in traffic missed a write: they are resynchronised; beside other writers, locdb says so.</summary>
    private void MissedWrites(IEnumerable<GroupMember> members)
    {
        foreach (var member in members)
        {
            if (_members.MissedWrite(member) && _settings.SharedDatabases)
                _clusterConfig.Tell(new ChangeMember(_groupId, member.No, MemberChange.MarkRecovering, "missed a write the other members stored"));
        }
    }

    private GroupUnavailable Unavailable(PendingWrite pending) => new(pending.RequestId, _groupId,
        $"stored on {pending.Stored} of {pending.Asked} members, the write policy ({_settings.WritePolicy}) needs more: " +
        string.Join("; ", pending.Failures.Select(f => $"member {f.No}: {f.Error}")));

    /// <summary>Member <paramref name="no"/> now holds what was held for it (resync <paramref name="run"/>), or left traffic (run = max).</summary>
    private void ReleaseHeld(int no, long run)
    {
        // Vacuous when every member that stored it has left traffic too: then it is not stored where it counts.
        foreach (var pending in _writes.Release(no, run))
            pending.ReplyTo.Tell(pending.StoredOn.Any(_members.TakesTraffic) ? pending.Reply : Unavailable(pending));
    }

    // ---- shared-databases read-through ------------------------------------------------------------------------

    /// <summary>
    /// Shared-databases mode: reads the AOR's rows from the preferred readable member first (false when there is
    /// none: memory answers). A change keeps the AOR busy meanwhile, so later requests for it wait; a lookup does not.
    /// </summary>
    private bool ReadFirst(IWithAor request, IActorRef sender, int? except = null, int tries = 0)
    {
        if (_members.ReadSource(except) is not { } member || tries >= _settings.MembersPerGroup)
            return false;
        var token = _reads.Start(request.Aor.Value, request, sender, member.No, tries + 1);
        if (request is not LookupContacts)
            _writes.MarkBusy(request.Aor.Value); // a read sent again keeps the requests waiting behind it
        member.Send(new ReadAor(token, request.Aor.Username, request.Aor.Domain));
        return true;
    }

    /// <summary>
    /// Reads sent to member <paramref name="no"/> (only <paramref name="token"/>, when given) that it failed, or that
    /// went with its handle: each goes to another member, and when every member was tried, memory answers. Without
    /// this, a change waiting for such a read would hold its AOR forever.
    /// </summary>
    private void ReadElsewhere(int no, long? token = null)
    {
        foreach (var read in _reads.TakeSentTo(no, token))
        {
            if (!ReadFirst(read.Request, read.Sender, except: no, read.Tries))
                AorReadDone(read, null);
        }
    }

    /// <summary>The rows of a shared-databases read arrived (null: no member could be read, memory answers).</summary>
    private void AorReadDone(AorReadInFlight read, IReadOnlyList<ContactBinding>? rows)
    {
        var (key, request, sender, _, _) = read;
        // The rows are the truth, unless a change of ours to this AOR is on its way (then memory is ahead of them).
        if (rows is not null && (request is not LookupContacts || !_writes.IsBusy(key)))
            _contacts.Set(key, AorBindings.FromWriteOrder(rows.Where(r => _partition.Owns(GroupContacts.KeyOf(r)))));
        if (rows is not null)
            _load?.Settle(key);
        if (request is LookupContacts lookup)
        {
            sender.Tell(MemoryKnows(key)
                ? new LookupResult(lookup.RequestId, lookup.Aor, _contacts.Get(key).Lookup(_clock(), lookup.MethodBit))
                : NoReadableMember(lookup));
            return;
        }

        var written = _writes.LastSeq;
        if (MemoryKnows(key))
            Apply(request, sender);
        else
            sender.Tell(NoReadableMember(request));
        if (_writes.LastSeq == written) // nothing to write (refused, or no change): the next request for the AOR goes on
            _writes.RunWaiting(key, waiting => Dispatch(waiting.Request, waiting.Sender));
    }
}
