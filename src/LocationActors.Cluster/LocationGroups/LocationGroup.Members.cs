using Akka.Actor;
using Akka.Event;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.DbHandles;
using LocationActors.Cluster.Metrics;
using LocationActors.Domain.LocDb;
using LocationActors.Storage;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>The group's member databases: one <see cref="DbHandle"/> child each, supervised here, and p_usrloc's rules over them (<see cref="GroupMembers"/>): traffic, errors, probes of off members, resyncs.</summary>
public sealed partial class LocationGroup
{
    // ---- members ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Supervision of the member handles, one member at a time (a handle's failure never touches the others). A handle
    /// throws <see cref="MemberDatabaseFailed"/> when its database failed a statement (having answered the writes it
    /// held as failed): the error is counted as p_usrloc counts it, and the handle restarts with backoff — or, when the
    /// error reached the threshold, the member is turned off and its handle stopped. Any other exception is a fault in the
    /// handle itself: it is stopped, and <see cref="HandleStopped"/> fails what it held and starts a fresh one.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(-1, -1, cause =>
    {
        if (cause is not MemberDatabaseFailed failed)
        {
            _log.Error(cause, "group {0}: a member handle failed", _groupId);
            return Directive.Stop;
        }

        if (_members.WithHandle(failed.Handle) is not { } member || member.No != failed.MemberNo)
            return Directive.Stop; // a handle the group has already let go
        CountError(member.No, failed.Error.Message);
        return member.TakesTraffic ? Directive.Restart : Directive.Stop;
    }, loggingEnabled: false);

    private IActorRef StartHandle(LocDbRow row, DatabaseUrl url)
    {
        var (options, table, maxBatchRows) = (_settings.StorageOptions, _settings.Table, _settings.MaxBatchRows);
        // A unique name: a stopped child's name stays taken until it has really stopped.
        var handle = Context.ActorOf(DbHandle.Props(row.No, () => new LocationDatabase(url, options, table), maxBatchRows, _settings.StatementDeadline, _name),
            $"member-{row.No}-{++_handleGeneration}");
        Context.Watch(handle);
        return handle;
    }

    /// <summary>Whether the group has written to its members since it started (it serves, or took changes while loading).</summary>
    private bool HasWritten => _serving || _writes.LastSeq > 0;

    private void HandleStopped(Terminated terminated)
    {
        if (_members.WithHandle(terminated.ActorRef) is not { } member)
            return;
        _log.Error("group {0}: the handle of member {1} stopped; starting a new one", _groupId, member.No);
        foreach (var seq in _writes.AwaitingFrom(member.No))
            Settle(seq, member.No, "its database handle failed");
        // What the failed handle had queued is lost: a serving group copies itself over again.
        _members.ReplaceHandle(member, StartHandle(member.Row, DatabaseUrl.Parse(member.Row.Url)), HasWritten);
        ReadElsewhere(member.No);
        if (_serving)
            ResyncWhereNeeded();
    }

    /// <summary>Starts a handle for every member that joins traffic, and stops those that leave it.</summary>
    private void ApplyLayout(GroupLayout layout)
    {
        if (!_partition.Fix(layout.GroupCount))
            _log.Error("group {0}: locdb now gives {1} groups, this group was started with {2}; keeping {2} until a restart",
                _groupId, layout.GroupCount, _partition.GroupCount);
        var change = _members.Apply(layout.Rows);
        foreach (var (member, before) in change.Leaving)
            LeaveTraffic(member, $"({DatabaseUrl.Mask(before.Url)}) leaves traffic");
        foreach (var member in change.Joining)
        {
            if (!DatabaseUrl.TryParse(member.Row.Url, out var url, out var error))
            {
                _log.Error("group {0}: member {1} has an unusable url: {2}", _groupId, member.No, error);
                continue;
            }

            // Even set on by hand (2 -> 1, which p_usrloc lets skip recovery), a member joining a group that has written
            // (served, or took changes while loading) missed writes.
            _members.Join(member, StartHandle(member.Row, url!), missedWrites: HasWritten);
            _log.Info("group {0}: member {1} ({2}) takes traffic", _groupId, member.No, url);
        }
    }

    private void LeaveTraffic(GroupMember member, string why)
    {
        _log.Info("group {0}: member {1} {2}", _groupId, member.No, why);
        var handle = _members.Leave(member)!;
        Context.Unwatch(handle);
        Context.Stop(handle);
        ReadElsewhere(member.No);
        // What it had not confirmed is not known to be stored there: those writes fail on it (and are not retried) —
        // which no longer counts against them, as it takes no traffic now and gets a resync when it returns.
        foreach (var seq in _writes.AwaitingFrom(member.No))
            Settle(seq, member.No, "left traffic before confirming the write");
        ReleaseHeld(member.No, run: long.MaxValue);
    }

    /// <summary>p_usrloc's error handling: counted in locdb below the threshold; the error that reaches it turns the member off.</summary>
    private void CountError(int no, string reason)
    {
        var count = _members.CountError(no, _settings.ErrorThreshold);
        if (count.Counted || count.TurnOff)
            NodeMetrics.MemberError(_name, no);
        if (count.Counted)
            _clusterConfig.Tell(new ChangeMember(_groupId, no, MemberChange.CountError, reason));
        if (!count.TurnOff)
            return;
        _log.Warning("group {0}: member {1} reached {2} errors; turning it off", _groupId, no, count.Errors);
        _membersTurnedOff++;
        NodeMetrics.MemberTurnedOff(_name, no);
        _clusterConfig.Tell(new ChangeMember(_groupId, no, MemberChange.TurnOff, $"{count.Errors} errors, the last: {reason}"));
        // It leaves traffic here at once, so the writes that follow no longer wait for it.
        LeaveTraffic(_members.ActiveMember(no)!, "was turned off after too many errors");
    }

    /// <summary>
    /// A member that missed writes (its failover stamp is not reset, or the group saw it miss them) is brought up to
    /// date, and until then it is never the member the group loads or reads from. p_usrloc instead waits a whole
    /// expire_time and lets re-REGISTERs refill it. The copy goes first in the member's queue, so every write sent
    /// after it lands on top; writes still in flight elsewhere are sent to it as well.
    /// </summary>
    private void ResyncWhereNeeded()
    {
        foreach (var member in _members.NeedingResync())
        {
            if (_settings.SharedDatabases)
            {
                // Other writers use the tables: memory holds what this group loaded or touched, not what they wrote.
                if (_members.CatchUpSource(member.No) is not { } source)
                {
                    if (_members.NoSourceFor(member))
                        _log.Warning("group {0}: member {1} missed writes, and no other member can be read to catch up from; waiting for one", _groupId, member.No);
                    continue;
                }

                _members.StartResync(member);
                var complete = !source.IsRecovering;
                _log.Info("group {0}: member {1} catches up with member {2}{3}", _groupId, member.No, source.No,
                    complete ? "" : ", which missed writes too: nothing but expired rows is deleted");
                member.Send(new CatchUpFrom(source.No, Opener(source), complete));
            }
            else
            {
                _members.StartResync(member);
                var snapshot = _contacts.Snapshot();
                _log.Info("group {0}: resynchronising member {1} with {2} contacts", _groupId, member.No, snapshot.Count);
                // A member that missed nothing holds what memory holds (a write enters memory only once stored, and one
                // it missed marks it): when the two tables' digests agree, there is nothing to copy.
                member.Send(new ResyncRows(snapshot, _members.CompleteOtherThan(member.No) is { } same ? new ResyncSource(same.No, Opener(same)) : null));
            }

            // The copy holds what memory holds, which a write still in flight has not entered: whether the member
            // stored it already, has it queued before the copy, or never got it, the copy would leave it without it.
            // So every write in flight goes to it again, after the copy (writes by ruid: a second time changes nothing).
            // Its answer counts unless it stored the write already.
            foreach (var pending in _writes.InFlight)
            {
                pending.AskAgain(member.No);
                member.Send(pending.Write);
            }
        }
    }

    /// <summary>Opens a handle of the member's database for one run (a resync's comparison or catch-up source).</summary>
    private Func<LocationDatabase> Opener(GroupMember member)
    {
        var (url, options, table) = (DatabaseUrl.Parse(member.Row.Url), _settings.StorageOptions, _settings.Table);
        return () => new LocationDatabase(url, options, table);
    }

    private void Resynced(Resynced done)
    {
        NoteStored(); // a copy writes too
        if (_members.WithHandle(Sender) is not { } member || member.No != done.MemberNo || _members.CompleteResync(member) is not { } resync)
            return; // from a handle the group has let go since
        ReleaseHeld(member.No, resync.Run);
        if (_members.AllHoldEverything)
            _writes.AllClean();
        _resyncsDone++;
        NodeMetrics.MemberResynced(_name, member.No);
        _log.Info("group {0}: member {1} resynchronised with {2} contacts; it is readable again", _groupId, member.No, done.Count);
        if (!LocDbRow.IsReset(resync.Stamp))
            _clusterConfig.Tell(new ChangeMember(_groupId, member.No, MemberChange.EndRecovery, $"resynchronised with {done.Count} contacts"));
    }

    /// <summary>
    /// p_usrloc's watcher: a member that is off (status 0, not maintenance) is probed every retry interval and turned
    /// on again when it answers. Answering means a working connection and a working table, so a server whose table
    /// is broken does not flap on and off as p_usrloc's did.
    /// </summary>
    private void ProbeOffMembers()
    {
        foreach (var member in _members.StartProbes())
        {
            if (!DatabaseUrl.TryParse(member.Row.Url, out var url, out _))
                continue;
            var (no, options, table) = (member.No, _settings.StorageOptions, _settings.Table);
            ProbeAsync(new LocationDatabase(url!, options, table)).PipeTo(Self, success: error => new ProbeAnswered(no, error));
        }

        static async Task<string?> ProbeAsync(LocationDatabase database)
        {
            await using var _ = database;
            try
            {
                await database.ProbeAsync();
                return null;
            }
            catch (StorageException e)
            {
                return e.Message;
            }
        }
    }

    private void Expire()
    {
        var now = _clock();
        _rules.Expire(now);
        var expired = _contacts.RemoveExpired(now);
        if (expired.Count > 0)
            _log.Info("group {0}: {1} contacts expired", _groupId, expired.Count);
        ExpiredFromMemory(expired);
        // The members delete every row expired by now, including rows other writers (Kamailio) left behind.
        foreach (var member in _members.Active)
            member.Send(new DeleteExpiredRows(now));
    }
}
