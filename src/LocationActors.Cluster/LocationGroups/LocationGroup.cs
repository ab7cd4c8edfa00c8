using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.DbHandles;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.LocDb;
using LocationActors.Domain.Partitioning;
using LocationActors.Domain.Registrations;
using LocationActors.Storage;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>
/// One location group: the single writer of its partition. It keeps the group's contacts in memory (lookups never
/// touch a database), applies REGISTERs with the registrar's rules, and writes every change to each active member
/// database through a <see cref="DbHandle"/> child, answering success once the write policy is met (by default:
/// every active member stored it). Memory mirrors what is stored: a change enters it once a member has stored it,
/// and later requests for the same AOR wait for that outcome, so a write that no member stored leaves nothing behind.
/// Member database failures are handled by supervision (<see cref="SupervisorStrategy"/>). On start it loads its
/// contacts from the preferred member; requests that arrive meanwhile wait (bounded). The decisions are made by
/// state classes tested without Akka: <see cref="GroupMembers"/> (p_usrloc's member rules), <see cref="GroupWrites"/>
/// (writes in flight, waiting requests, held replies), <see cref="PendingWrite"/> (the write policy),
/// <see cref="RemovedCSeqs"/>, <see cref="AorReadsInFlight"/> and <see cref="WarmUpLoader"/>.
/// </summary>
public sealed class LocationGroup : ReceiveActor, IWithStash, IWithTimers
{
    /// <summary>AORs per dump page: a page must fit Akka's remote frame (128 kB; a binding is about 340 bytes).</summary>
    public const int MaxDumpPageAors = 100;

    private readonly int _groupId;
    private readonly string _table;
    private readonly LocationGroupSettings _settings;
    private readonly IActorRef _clusterConfig;
    private readonly Func<long> _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private readonly GroupContacts _contacts = new();
    private readonly GroupMembers _members;
    private readonly GroupWrites _writes = new();
    private readonly AorReadsInFlight _reads = new();
    private readonly AorChangeRules _rules;
    private readonly GroupPartition _partition;
    private bool _serving;
    private int _handleGeneration;
    private int _stashed;
    private long _warmUp;
    private int _foreignRows;
    private int _membersTurnedOff;
    private int _resyncsDone;

    public LocationGroup(int groupId, LocationGroupSettings settings, IActorRef clusterConfig, RuidGenerator ruids, Func<long>? clock = null)
    {
        _groupId = groupId;
        _table = settings.Table;
        _settings = settings;
        _clusterConfig = clusterConfig;
        _clock = clock ?? (() => DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        _members = new GroupMembers(settings.MembersPerGroup);
        _rules = new AorChangeRules(settings.Registrar, ruids);
        _partition = new GroupPartition(groupId, settings.Table);
        WaitingForLayout();
    }

    public IStash Stash { get; set; } = null!;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(int groupId, LocationGroupSettings settings, IActorRef clusterConfig, RuidGenerator ruids, Func<long>? clock = null) =>
        Akka.Actor.Props.Create(() => new LocationGroup(groupId, settings, clusterConfig, ruids, clock));

    protected override void PreStart()
    {
        _clusterConfig.Tell(new GetGroupLayout(_groupId, _table));
        Timers.StartPeriodicTimer("layout", AskLayout.Instance, _settings.Retry);
    }

    // ---- behaviours -------------------------------------------------------------------------------------------

    private void WaitingForLayout()
    {
        Receive<AskLayout>(_ => _clusterConfig.Tell(new GetGroupLayout(_groupId, _table)));
        Receive<GroupLayout>(_partition.IsMine, layout =>
        {
            Timers.Cancel("layout");
            if (!layout.Exists)
            {
                NoSuchGroup(layout);
                return;
            }

            ApplyLayout(layout);
            StartWarmUp();
        });
        Receive<GetGroupStatus>(status => Sender.Tell(Status(status, "starting")));
        Receive<IWithGroupId>(StashOrRefuse);
    }

    private void WarmingUp()
    {
        Receive<AskLayout>(_ => { }); // a tick that was already queued when the layout arrived
        Receive<GroupLayout>(_partition.IsMine, ApplyLayout);
        Receive<WarmUpPage>(page => page.Token == _warmUp, page => LoadPage(page.Bindings));
        Receive<WarmUpDone>(done => done.Token == _warmUp, WarmedUp);
        Receive<WarmUpFailed>(failed => failed.Token == _warmUp, failed =>
        {
            _log.Warning("group {0}: loading contacts from member {1} failed: {2}", _groupId, failed.MemberNo, failed.Reason);
            StartWarmUp(after: failed.MemberNo);
        });
        Receive<RetryWarmUp>(_ => StartWarmUp());
        Receive<Terminated>(HandleStopped);
        Receive<GetGroupStatus>(status => Sender.Tell(Status(status, "loading")));
        Receive<IWithGroupId>(StashOrRefuse);
    }

    /// <summary>No member database can be read: answer "unavailable" (never "not found") until one can.</summary>
    private void Unreadable()
    {
        Receive<AskLayout>(_ => { });
        Receive<GroupLayout>(_partition.IsMine, layout =>
        {
            ApplyLayout(layout);
            if (_members.Any)
                StartWarmUp();
        });
        Receive<RetryWarmUp>(_ => StartWarmUp());
        Receive<Terminated>(HandleStopped);
        Receive<GetGroupStatus>(status => Sender.Tell(Status(status, "unreadable")));
        Receive<IWithGroupId>(message =>
            Sender.Tell(new GroupUnavailable(message.RequestId, _groupId, $"group {_groupId} cannot read any member database yet")));
    }

    private void Serving()
    {
        Receive<AskLayout>(_ => { });
        Receive<RetryWarmUp>(_ => { });
        Receive<GroupLayout>(_partition.IsMine, layout =>
        {
            ApplyLayout(layout);
            ResyncWhereNeeded();
        });

        // Requests.
        Receive<RegisterBindings>(register => string.IsNullOrEmpty(register.Request?.Aor?.Username),
            register => Sender.Tell(new RequestRejected(register.RequestId, "a REGISTER needs a request with an AOR")));
        Receive<LookupContacts>(_partition.IsForMe, lookup =>
        {
            if (!_settings.SharedDatabases || !ReadFirst(lookup, Sender))
                Sender.Tell(new LookupResult(lookup.RequestId, lookup.Aor, _contacts.Get(lookup.Aor).Lookup(_clock(), lookup.MethodBit)));
        });
        Receive<IWithAor>(_partition.IsForMe, change => Dispatch(change, Sender));
        Receive<DumpGroup>(_partition.IsMine, dump =>
        {
            var (bindings, next) = _contacts.Page(dump.After, Math.Clamp(dump.PageSize, 1, MaxDumpPageAors));
            Sender.Tell(new DumpPage(dump.RequestId, _groupId, bindings, next));
        });
        Receive<GetGroupStatus>(_partition.IsMine, status => Sender.Tell(Status(status, "serving")));
        Receive<IWithGroupId>(other => Sender.Tell(_partition.Misrouted(other)));

        // What the members answer.
        Receive<RowsWritten>(written => Settle(written.MemberNo, written.Seqs, null));
        Receive<RowsWriteFailed>(failed =>
        {
            var refused = failed.Error.Kind is StorageErrorKind.InvalidData;
            Settle(failed.MemberNo, failed.Seqs, failed.Error.Message, refused);
            // A database that failed (not a row it refused) counts against the member in locdb, as in p_usrloc.
            if (!refused)
                CountError(failed.MemberNo, failed.Error.Message);
        });
        Receive<AorRead>(read =>
        {
            if (_reads.Take(read.Token) is { } inFlight)
                AorReadDone(inFlight, read.Bindings);
        });
        Receive<AorReadFailed>(failed =>
        {
            _log.Warning("group {0}: reading an AOR from member {1} failed ({2}); reading it elsewhere", _groupId, failed.MemberNo, failed.Error.Message);
            ReadElsewhere(failed.MemberNo, failed.Token);
        });
        Receive<Resynced>(Resynced);
        Receive<ResyncFailed>(failed =>
        {
            if (_members.WithHandle(Sender) is not { No: var no } member || no != failed.MemberNo)
                return; // from a handle the group has let go since
            _log.Warning("group {0}: resync of member {1} failed: {2}", _groupId, no, failed.Error.Message);
            _members.ResyncFailed(member); // tried again at the next watch tick
            if (failed.Error.Kind is not StorageErrorKind.InvalidData && failed.MemberAtFault)
                CountError(no, failed.Error.Message);
        });
        Receive<ExpiredRowsDeleted>(deleted =>
        {
            if (deleted.Count > 0)
                _log.Debug("group {0}: member {1} deleted {2} expired rows", _groupId, deleted.MemberNo, deleted.Count);
        });
        Receive<Terminated>(HandleStopped);

        // Timers and probes.
        Receive<WatchTick>(_ =>
        {
            foreach (var expired in _writes.ExpireHeld(DateTime.UtcNow - _settings.Watch * 2)) // two ticks: one resync can run
                expired.ReplyTo.Tell(Unavailable(expired));
            ProbeOffMembers();
            ResyncWhereNeeded(); // a resync that failed is tried again
        });
        Receive<ExpireTick>(_ => Expire());
        Receive<ProbeAnswered>(answer =>
        {
            _members.ProbeDone(answer.No);
            if (answer.Error is null)
                _clusterConfig.Tell(new ChangeMember(_groupId, answer.No, MemberChange.TurnOn, "answers the probe again"));
        });
        Receive<MemberChanged>(_ => { }); // the new state arrives with the next layout
    }

    /// <summary>
    /// locdb has no such group (an id beyond N, an unknown table): refuse what came and stop for good — passivation
    /// also makes sharding forget the group, so it is not started again.
    /// </summary>
    private void NoSuchGroup(GroupLayout layout)
    {
        _log.Warning("{0} group {1} does not exist (N = {2}); stopping it", _table, _groupId, layout.GroupCount);
        Become(() => Receive<IWithGroupId>(message =>
            Sender.Tell(new RequestRejected(message.RequestId, $"{_table} group {_groupId} does not exist (N = {layout.GroupCount})"))));
        UnstashAll();
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    // ---- requests ---------------------------------------------------------------------------------------------

    /// <summary>Runs a change now, or queues it behind the write still pending for the same AOR.</summary>
    private void Dispatch(IWithAor request, IActorRef sender)
    {
        if (_writes.WaitBehind(request.Aor.Value, request, sender))
            return;
        // With other writers on the databases, a change starts from the AOR's rows as they are now.
        if (_settings.SharedDatabases && ReadFirst(request, sender))
            return;
        Apply(request, sender);
    }

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
                     _members.ActiveNumbers) is { } pending)
            foreach (var member in _members.Active)
                member.Send(pending.Write);
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
        if (_writes.Settle(seq, memberNo, error, refused) is not { } pending)
            return;
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
        _contacts.Set(pending.Key, pending.Next);
        var missed = pending.MissingOn(_members.TakesTraffic);
        foreach (var member in missed.Select(no => _members.ActiveMember(no)!))
        {
            if (_members.MissedWrite(member) && _settings.SharedDatabases)
                _clusterConfig.Tell(new ChangeMember(_groupId, member.No, MemberChange.MarkRecovering, "missed a write the other members stored"));
        }

        _writes.Stored(pending, missed);
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
        if (request is LookupContacts lookup)
        {
            sender.Tell(new LookupResult(lookup.RequestId, lookup.Aor, _contacts.Get(key).Lookup(_clock(), lookup.MethodBit)));
            return;
        }

        var written = _writes.LastSeq;
        Apply(request, sender);
        if (_writes.LastSeq == written) // nothing to write (refused, or no change): the next request for the AOR goes on
            _writes.RunWaiting(key, waiting => Dispatch(waiting.Request, waiting.Sender));
    }

    // ---- members ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Supervision of the member handles, one member at a time (a handle's failure never touches the others). A handle
    /// throws <see cref="MemberDatabaseFailed"/> when its database failed a statement: the writes it held fail on that
    /// member, the error is counted as p_usrloc counts it, and the handle restarts with backoff — or, when the error
    /// reached the threshold, the member is turned off and its handle stopped. Any other exception is a fault in the
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
        Settle(member.No, failed.Seqs, failed.Error.Message);
        if (failed.ResyncLost)
            _members.ResyncFailed(member); // tried again at the next watch tick
        CountError(member.No, failed.Error.Message);
        return member.TakesTraffic ? Directive.Restart : Directive.Stop;
    }, loggingEnabled: false);

    private IActorRef StartHandle(LocDbRow row, DatabaseUrl url)
    {
        var (options, table, maxBatchRows) = (_settings.StorageOptions, _settings.Table, _settings.MaxBatchRows);
        // A unique name: a stopped child's name stays taken until it has really stopped.
        var handle = Context.ActorOf(DbHandle.Props(row.No, () => new LocationDatabase(url, options, table), maxBatchRows),
            $"member-{row.No}-{++_handleGeneration}");
        Context.Watch(handle);
        return handle;
    }

    private void HandleStopped(Terminated terminated)
    {
        if (_members.WithHandle(terminated.ActorRef) is not { } member)
            return;
        _log.Error("group {0}: the handle of member {1} stopped; starting a new one", _groupId, member.No);
        foreach (var seq in _writes.AwaitingFrom(member.No))
            Settle(seq, member.No, "its database handle failed");
        // What the failed handle had queued is lost: a serving group copies itself over again.
        _members.ReplaceHandle(member, StartHandle(member.Row, DatabaseUrl.Parse(member.Row.Url)), _serving);
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

            // Even set on by hand (2 -> 1, which p_usrloc lets skip recovery), a member joining a serving group missed writes.
            _members.Join(member, StartHandle(member.Row, url!), missedWrites: _serving);
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
        if (count.Counted)
            _clusterConfig.Tell(new ChangeMember(_groupId, no, MemberChange.CountError, reason));
        if (!count.TurnOff)
            return;
        _log.Warning("group {0}: member {1} reached {2} errors; turning it off", _groupId, no, count.Errors);
        _membersTurnedOff++;
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
                var (url, options, table) = (DatabaseUrl.Parse(source.Row.Url), _settings.StorageOptions, _settings.Table);
                member.Send(new CatchUpFrom(source.No, () => new LocationDatabase(url, options, table), complete));
            }
            else
            {
                _members.StartResync(member);
                var snapshot = _contacts.All().ToList();
                _log.Info("group {0}: resynchronising member {1} with {2} contacts", _groupId, member.No, snapshot.Count);
                member.Send(new ResyncRows(snapshot));
            }

            foreach (var pending in _writes.InFlight)
            {
                if (pending.AskAgain(member.No)) // writes still in flight elsewhere, which it has not stored
                    member.Send(pending.Write);
            }
        }
    }

    private void Resynced(Resynced done)
    {
        if (_members.WithHandle(Sender) is not { } member || member.No != done.MemberNo || _members.CompleteResync(member) is not { } resync)
            return; // from a handle the group has let go since
        ReleaseHeld(member.No, resync.Run);
        if (_members.AllHoldEverything)
            _writes.AllClean();
        _resyncsDone++;
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
        // The members delete every row expired by now, including rows other writers (Kamailio) left behind.
        foreach (var member in _members.Active)
            member.Send(new DeleteExpiredRows(now));
    }

    // ---- warm-up ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Loads the group's contacts from the preferred readable member (p_usrloc's read order: the oldest failover
    /// first, then the lower <c>no</c>); after a failure the next one, and when none is left, again a little later.
    /// </summary>
    private void StartWarmUp(int? after = null)
    {
        Become(WarmingUp);
        if (_members.WarmUpCandidates(after) is not [var source, ..])
        {
            _log.Warning("group {0}: no member database can be read; retrying in {1}", _groupId, _settings.Retry);
            Become(Unreadable);
            UnstashAll(); // they get "unavailable" now rather than a timeout later
            Timers.StartSingleTimer("warm-up", RetryWarmUp.Instance, _settings.Retry);
            return;
        }

        var token = ++_warmUp;
        _contacts.Clear();
        _foreignRows = 0;
        var database = new LocationDatabase(DatabaseUrl.Parse(source.Row.Url), _settings.StorageOptions, _settings.Table);
        _ = WarmUpLoader.LoadAsync(database, source.No, token, Self);
    }

    private void LoadPage(IReadOnlyList<ContactBinding> bindings)
    {
        foreach (var binding in bindings)
        {
            if (_partition.Owns(GroupContacts.KeyOf(binding)))
                _contacts.Load(binding);
            else
                _foreignRows++;
        }
    }

    private void WarmedUp(WarmUpDone done)
    {
        _log.Info("{0} group {1}: loaded {2} contacts of {3} AORs from member {4}{5}", _table, _groupId, _contacts.BindingCount, _contacts.AorCount,
            done.MemberNo, _foreignRows > 0 ? $" ({_foreignRows} rows of other groups ignored)" : "");
        Become(Serving);
        UnstashAll();
        Timers.StartPeriodicTimer("expiry", ExpireTick.Instance, _settings.Expiry);
        Timers.StartPeriodicTimer("watch", WatchTick.Instance, _settings.Watch);
        _serving = true;
        // The group may have stopped with writes in flight (its node died): some reached one member, some another.
        // Memory now holds what the member it loaded from holds; the others are brought to exactly that — a read
        // and the few rows that differ. With other writers on the databases there is no such single truth.
        if (!_settings.SharedDatabases)
            _members.AllMissedExcept(done.MemberNo);
        ResyncWhereNeeded();
    }

    private void StashOrRefuse(IWithGroupId message)
    {
        if (_stashed >= _settings.StashLimit)
        {
            Sender.Tell(new GroupBusy(message.RequestId, _groupId, $"group {_groupId} is loading its contacts; retry shortly"));
            return;
        }

        _stashed++;
        Stash.Stash();
    }

    private void UnstashAll()
    {
        _stashed = 0;
        Stash.UnstashAll();
    }

    // ---- status -----------------------------------------------------------------------------------------------

    private GroupStatus Status(GetGroupStatus request, string state)
    {
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        var up = cluster.State.Members.Where(m => m.Status == Akka.Cluster.MemberStatus.Up && m.HasRole(ClusterConstants.LocationRole))
            .Select(m => m.Address.ToString()).Order().ToList();
        return new GroupStatus(request.RequestId, _groupId, cluster.SelfAddress.ToString(), state, _contacts.AorCount, _contacts.BindingCount,
            _members.ActiveNumbers, up, cluster.State.SeenBy.Select(a => a.ToString()).Order().ToList(), _membersTurnedOff, _resyncsDone);
    }
}
