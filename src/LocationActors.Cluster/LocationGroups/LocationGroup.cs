using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.DbHandles;
using LocationActors.Domain.Aors;
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
/// contacts from the preferred member; requests that arrive meanwhile wait (bounded).
/// </summary>
public sealed class LocationGroup : ReceiveActor, IWithStash, IWithTimers
{
    /// <summary>AORs per dump page: a page must fit Akka's remote frame (128 kB; a binding is about 340 bytes).</summary>
    public const int MaxDumpPageAors = 100;

    private readonly int _groupId;
    private readonly string _table;
    private readonly LocationGroupSettings _settings;
    private readonly IActorRef _clusterConfig;
    private readonly RuidGenerator _ruids;
    private readonly Func<long> _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private readonly GroupContacts _contacts = new();
    private readonly Dictionary<int, Member> _members = new();
    private readonly Dictionary<long, PendingWrite> _pending = new();
    private readonly Dictionary<string, Queue<(IWithGroupId Request, IActorRef Sender)>> _aorsWriting = new(StringComparer.Ordinal);
    private readonly Dictionary<int, int> _errors = new();      // counted errors per member, as locdb knows them
    private readonly Dictionary<int, long> _turnedOff = new(); // turned off here (with the row's failover then); out until locdb changes the row
    private readonly HashSet<int> _probing = [];
    private readonly Dictionary<int, (long Stamp, long Run)> _resyncing = new(); // member → the resync in flight: failover stamp, number
    private readonly Dictionary<int, long> _resyncedFor = new(); // member → the failover stamp its last resync completed for
    private readonly HashSet<int> _joined = [];                 // members that missed writes whatever their stamp says
    private readonly HashSet<int> _missedAgain = [];            // members that missed a write while their resync ran
    private readonly HashSet<int> _waitingForSource = [];       // shared mode: members waiting for a member to catch up from
    private readonly Dictionary<string, HashSet<string>> _dirty = new(StringComparer.Ordinal); // AORs not on every member, with ruids deleted since
    private readonly AorReadsInFlight _reads = new();
    private readonly List<HeldReply> _held = [];                 // writes stored on some members, waiting for the others' fate
    private readonly RemovedCSeqs _removedCSeqs = new();
    private long _resyncRun;
    private bool _serving;
    private IReadOnlyList<LocDbRow> _rows = [];
    private int _groupCount;
    private int _handleGeneration;
    private long _seq;
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
        _ruids = ruids;
        _clock = clock ?? (() => DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        WaitingForLayout();
    }

    public IStash Stash { get; set; } = null!;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(int groupId, LocationGroupSettings settings, IActorRef clusterConfig, RuidGenerator ruids, Func<long>? clock = null) =>
        Akka.Actor.Props.Create(() => new LocationGroup(groupId, settings, clusterConfig, ruids, clock));

    private void RemoveMember(int no, string why)
    {
        if (!_members.Remove(no, out var member))
            return;
        _log.Info("group {0}: member {1} ({2}) {3}", _groupId, no, DatabaseUrl.Mask(member.Row.Url), why);
        Context.Unwatch(member.Handle);
        Context.Stop(member.Handle);
        // A resync in that handle dies with it; the member's return (always with a resync) covers what it missed.
        _resyncing.Remove(no);
        _joined.Remove(no);
        _missedAgain.Remove(no);
        _waitingForSource.Remove(no);
        ReadElsewhere(no);
        // What it had not confirmed is not known to be stored there: those writes fail on it (and are not retried) —
        // which no longer counts against them, as it takes no traffic now and gets a resync when it returns.
        foreach (var seq in _pending.Where(p => p.Value.Awaiting.Contains(no)).Select(p => p.Key).ToList())
            Settle(seq, no, "left traffic before confirming the write");
        ReleaseHeld(no, run: long.MaxValue);
    }

    /// <summary>
    /// Supervision of the member handles, one member at a time (a handle's failure never touches the others). A handle
    /// throws <see cref="MemberDatabaseFailed"/> when its database failed a statement: the writes it held fail on that
    /// member, the error is counted as p_usrloc counts it, and the handle restarts with backoff — or, when the error
    /// reached the threshold, the member is turned off and its handle stopped. Any other exception is a fault in the
    /// handle itself: it is stopped, and <see cref="HandleStopped"/> fails what it held and starts a fresh one.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(-1, -1, cause =>
    {
        if (cause is MemberDatabaseFailed failed)
            return MemberFailed(failed);
        _log.Error(cause, "group {0}: a member handle failed", _groupId);
        return Directive.Stop;
    }, loggingEnabled: false);

    private Directive MemberFailed(MemberDatabaseFailed failed)
    {
        var no = failed.MemberNo;
        if (!_members.TryGetValue(no, out var member) || !member.Handle.Equals(failed.Handle))
            return Directive.Stop; // a handle the group has already let go
        foreach (var seq in failed.Seqs)
            Settle(seq, no, failed.Error.Message);
        if (failed.ResyncLost)
        {
            _resyncing.Remove(no); // tried again at the next watch tick
        }
        CountError(no, failed.Error.Message);
        return _members.ContainsKey(no) ? Directive.Restart : Directive.Stop;
    }

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
        var (no, member) = _members.FirstOrDefault(m => m.Value.Handle.Equals(terminated.ActorRef));
        if (member is null)
            return;
        _log.Error("group {0}: the handle of member {1} stopped; starting a new one", _groupId, no);
        foreach (var seq in _pending.Where(p => p.Value.Awaiting.Contains(no)).Select(p => p.Key).ToList())
            Settle(seq, no, "its database handle failed");
        _members[no] = member with { Handle = StartHandle(member.Row, DatabaseUrl.Parse(member.Row.Url)) };
        ReadElsewhere(no); // what it had queued is gone with it
        if (_serving)
        {
            _joined.Add(no); // what the failed handle had queued is lost: copy the group over again
            ResyncWhereNeeded();
        }
    }

    protected override void PreStart()
    {
        _clusterConfig.Tell(new GetGroupLayout(_groupId, _table));
        Timers.StartPeriodicTimer("layout", AskLayout.Instance, _settings.Retry);
    }

    // ---- behaviours -------------------------------------------------------------------------------------------

    private void WaitingForLayout()
    {
        Receive<AskLayout>(_ => _clusterConfig.Tell(new GetGroupLayout(_groupId, _table)));
        Receive<GroupLayout>(IsMine, layout =>
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
        Receive<GroupLayout>(IsMine, ApplyLayout);
        Receive<WarmUpPage>(page => page.Token == _warmUp, page => LoadPage(page.Bindings));
        Receive<WarmUpDone>(done => done.Token == _warmUp, done =>
        {
            _log.Info("{0} group {1}: loaded {2} contacts of {3} AORs from member {4}{5}", _table, _groupId, _contacts.BindingCount, _contacts.AorCount,
                done.MemberNo, _foreignRows > 0 ? $" ({_foreignRows} rows of other groups ignored)" : "");
            Become(Serving);
            _stashed = 0;
            Stash.UnstashAll();
            Timers.StartPeriodicTimer("expiry", ExpireTick.Instance, _settings.Expiry);
            Timers.StartPeriodicTimer("watch", WatchTick.Instance, _settings.Watch);
            _serving = true;
            // The group may have stopped with writes in flight (its node died): some reached one member, some another.
            // Memory now holds what the member it loaded from holds; the others are brought to exactly that — a read
            // and the few rows that differ. With other writers on the databases there is no such single truth.
            if (!_settings.SharedDatabases)
                _joined.UnionWith(_members.Keys.Where(no => no != done.MemberNo));
            ResyncWhereNeeded();
        });
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

    /// <summary>
    /// locdb has no such group (an id beyond N, an unknown table): refuse what came and stop for good — passivation
    /// also makes sharding forget the group, so it is not started again.
    /// </summary>
    private void NoSuchGroup(GroupLayout layout)
    {
        _log.Warning("{0} group {1} does not exist (N = {2}); stopping it", _table, _groupId, layout.GroupCount);
        Become(() => Receive<IWithGroupId>(message =>
            Sender.Tell(new RequestRejected(message.RequestId, $"{_table} group {_groupId} does not exist (N = {layout.GroupCount})"))));
        _stashed = 0;
        Stash.UnstashAll();
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    /// <summary>No member database can be read: answer "unavailable" (never "not found") until one can.</summary>
    private void Unreadable()
    {
        Receive<AskLayout>(_ => { });
        Receive<GroupLayout>(IsMine, layout =>
        {
            ApplyLayout(layout);
            if (_members.Count > 0)
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
        Receive<GroupLayout>(IsMine, layout =>
        {
            ApplyLayout(layout);
            ResyncWhereNeeded();
        });
        Receive<RegisterBindings>(register => string.IsNullOrEmpty(register.Request?.Aor?.Username),
            register => Sender.Tell(new RequestRejected(register.RequestId, "a REGISTER needs a request with an AOR")));
        Receive<RegisterBindings>(WhenMine, register => Dispatch(register, Sender));
        Receive<LookupContacts>(WhenMine, lookup =>
        {
            if (!_settings.SharedDatabases || !ReadFirst(lookup.Aor.Value, lookup, Sender))
                Sender.Tell(new LookupResult(lookup.RequestId, lookup.Aor, _contacts.Get(lookup.Aor).Lookup(_clock(), lookup.MethodBit)));
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
        Receive<RemoveContact>(WhenMine, remove => Dispatch(remove, Sender));
        Receive<RemoveAor>(WhenMine, remove => Dispatch(remove, Sender));
        Receive<DumpGroup>(IsMine, dump =>
        {
            var (bindings, next) = _contacts.Page(dump.After, Math.Clamp(dump.PageSize, 1, MaxDumpPageAors));
            Sender.Tell(new DumpPage(dump.RequestId, _groupId, bindings, next));
        });
        Receive<GetGroupStatus>(IsMine, status => Sender.Tell(Status(status, "serving")));
        Receive<IWithGroupId>(other => Sender.Tell(Misrouted(other)));
        Receive<RowsWritten>(written => Acknowledge(written.MemberNo, written.Seqs, null));
        Receive<RowsWriteFailed>(failed =>
        {
            Acknowledge(failed.MemberNo, failed.Seqs, failed.Error.Message, refused: failed.Error.Kind is StorageErrorKind.InvalidData);
            // A database that failed (not a row it refused) counts against the member in locdb, as in p_usrloc.
            if (failed.Error.Kind is not StorageErrorKind.InvalidData)
                CountError(failed.MemberNo, failed.Error.Message);
        });
        Receive<WatchTick>(_ =>
        {
            ExpireHeld();
            ProbeOffMembers();
            ResyncWhereNeeded(); // a resync that failed is tried again
        });
        Receive<Resynced>(done =>
        {
            if (!_members.TryGetValue(done.MemberNo, out var member) || !member.Handle.Equals(Sender) ||
                !_resyncing.Remove(done.MemberNo, out var resync))
                return; // from a handle the group has let go since
            var stamp = resync.Stamp;
            ReleaseHeld(done.MemberNo, resync.Run);
            if (!_missedAgain.Remove(done.MemberNo))
                _joined.Remove(done.MemberNo);
            if (_joined.Count == 0 && _resyncing.Count == 0)
                _dirty.Clear(); // every member holds what memory holds
            _resyncedFor[done.MemberNo] = stamp;
            _resyncsDone++;
            _log.Info("group {0}: member {1} resynchronised with {2} contacts; it is readable again", _groupId, done.MemberNo, done.Count);
            if (!LocDbRow.IsReset(stamp))
                _clusterConfig.Tell(new ChangeMember(_groupId, done.MemberNo, MemberChange.EndRecovery, $"resynchronised with {done.Count} contacts"));
        });
        Receive<ResyncFailed>(failed =>
        {
            if (!_members.TryGetValue(failed.MemberNo, out var member) || !member.Handle.Equals(Sender))
                return;
            _log.Warning("group {0}: resync of member {1} failed: {2}", _groupId, failed.MemberNo, failed.Error.Message);
            _resyncing.Remove(failed.MemberNo); // tried again at the next watch tick
            if (failed.Error.Kind is not StorageErrorKind.InvalidData && failed.MemberAtFault)
                CountError(failed.MemberNo, failed.Error.Message);
        });
        Receive<ProbeAnswered>(answer =>
        {
            _probing.Remove(answer.No);
            if (answer.Error is null)
                _clusterConfig.Tell(new ChangeMember(_groupId, answer.No, MemberChange.TurnOn, "answers the probe again"));
        });
        Receive<MemberChanged>(_ => { }); // the new state arrives with the next layout
        Receive<Terminated>(HandleStopped);
        Receive<ExpiredRowsDeleted>(deleted =>
        {
            if (deleted.Count > 0)
                _log.Debug("group {0}: member {1} deleted {2} expired rows", _groupId, deleted.MemberNo, deleted.Count);
        });
        Receive<ExpireTick>(_ => Expire());
    }

    // ---- requests ---------------------------------------------------------------------------------------------

    /// <summary>
    /// Runs a write request now, or queues it behind the write still pending for the same AOR: each request then
    /// sees the outcome of the one before it, as if they ran one after the other.
    /// </summary>
    private void Dispatch(IWithGroupId request, IActorRef sender)
    {
        var key = AorOf(request)!.Value;
        if (_aorsWriting.TryGetValue(key, out var waiting))
        {
            waiting.Enqueue((request, sender));
            return;
        }

        // With other writers on the databases, a change starts from the AOR's rows as they are now.
        if (_settings.SharedDatabases && ReadFirst(key, request, sender))
            return;
        Apply(request, sender);
    }

    private void Apply(IWithGroupId request, IActorRef sender)
    {
        var key = AorOf(request)!.Value;
        switch (request)
        {
            case RegisterBindings register:
                HandleRegister(register, sender);
                break;
            case RemoveContact remove:
            {
                var bindings = _contacts.Get(remove.Aor);
                var gone = bindings.Where(b => b.Contact == remove.Contact).Select(b => b.Ruid).ToList();
                var kept = gone.Aggregate(bindings, (current, ruid) => current.Remove(ruid));
                Write(sender, new ContactsRemoved(remove.RequestId, remove.Aor, gone.Count), remove.RequestId, key, kept, [], gone);
                break;
            }

            case RemoveAor remove:
            {
                var gone = _contacts.Get(remove.Aor).Select(b => b.Ruid).ToList();
                Write(sender, new ContactsRemoved(remove.RequestId, remove.Aor, gone.Count), remove.RequestId, key, AorBindings.Empty, [], gone);
                break;
            }
        }
    }

    private void HandleRegister(RegisterBindings register, IActorRef sender)
    {
        var request = register.Request;
        var now = _clock();
        var key = request.Aor.Value;
        var current = _contacts.Get(request.Aor);
        // An older copy of a REGISTER that arrives after a later one removed a contact must not bring it back.
        if (_removedCSeqs.Overtaken(key, request.CallId, request.CSeq) is { } removedBy)
        {
            sender.Tell(new RegisterResult(register.RequestId, request.Aor, null, RegisterRejection.InvalidCSeq,
                $"CSeq {request.CSeq} is older than {removedBy}, which removed a contact of this Call-ID", current.Lookup(now)));
            return;
        }

        var outcome = Registrar.Apply(current, request, _settings.Registrar, now, _ruids.Next);
        if (outcome.Accepted)
        {
            foreach (var gone in current.Where(b => outcome.DeletedRuids.Contains(b.Ruid)))
                _removedCSeqs.Removed(key, gone, request.CallId, request.CSeq, now);
        }

        var reply = new RegisterResult(register.RequestId, request.Aor, outcome.Action, outcome.Rejection, outcome.Reason,
            outcome.Bindings.Lookup(now));
        if (!outcome.Accepted || (!outcome.HasWrites && !_dirty.ContainsKey(request.Aor.Value)))
        {
            sender.Tell(reply);
            return;
        }

        Write(sender, reply, register.RequestId, request.Aor.Value, outcome.Bindings, outcome.Upserts, outcome.DeletedRuids);
    }

    /// <summary>
    /// Sends a change of one AOR to every active member. Once each has answered, memory takes the change if any member
    /// stored it (memory mirrors what the databases hold, so a reader of that member — a Kamailio, a warm-up — sees
    /// what a lookup answers), and the caller hears success only if the write policy is met, "unavailable" otherwise:
    /// never a success for something that is not stored. A member that missed a change another member stored is
    /// resynchronised. With no active member nothing is tried.
    /// </summary>
    private void Write(IActorRef replyTo, object reply, long requestId, string key, AorBindings next, IReadOnlyList<ContactBinding> upserts,
        IReadOnlyList<string> deletes)
    {
        if (_members.Count == 0)
        {
            replyTo.Tell(new GroupUnavailable(requestId, _groupId, $"group {_groupId} has no active member database"));
            return;
        }

        if (_dirty.TryGetValue(key, out var deletedBefore))
        {
            // An earlier change of this AOR is missing on some member: this write carries the AOR's whole state.
            upserts = next.ToList();
            deletes = deletes.Union(deletedBefore).Except(upserts.Select(b => b.Ruid)).ToList();
        }

        if (upserts.Count == 0 && deletes.Count == 0)
        {
            replyTo.Tell(reply);
            return;
        }

        var write = new WriteRows(++_seq, upserts, deletes);
        _pending[write.Seq] = new PendingWrite(replyTo, reply, requestId, key, next, [.. _members.Keys], [], [], write);
        if (!_aorsWriting.ContainsKey(key))
            _aorsWriting[key] = new Queue<(IWithGroupId, IActorRef)>();
        foreach (var member in _members.Values)
            member.Handle.Tell(write);
    }

    private void Acknowledge(int memberNo, IReadOnlyList<long> seqs, string? error, bool refused = false)
    {
        foreach (var seq in seqs)
            Settle(seq, memberNo, error, refused);
    }

    /// <summary>
    /// One member's answer for one write (<paramref name="refused"/>: the member refused the rows as invalid); the
    /// write completes when every awaited member answered.
    /// </summary>
    private void Settle(long seq, int memberNo, string? error, bool refused = false)
    {
        if (!_pending.TryGetValue(seq, out var pending) || !pending.Answer(memberNo, error, refused))
            return;

        _pending.Remove(seq);
        // A member that failed and has left traffic since no longer counts: it gets a resync when it returns.
        var verdict = pending.Verdict(_settings.WritePolicy, _members.ContainsKey);
        if (pending.Stored > 0)
            Stored(pending);
        switch (verdict)
        {
            case WriteVerdict.WaitForMissing:
                // Answered once the members it missed are resynchronised (the next run covers it) or leave traffic.
                _held.Add(new HeldReply(pending, pending.MissingOn(_members.ContainsKey).ToDictionary(no => no, _ => _resyncRun + 1), DateTime.UtcNow));
                break;
            case WriteVerdict.Acknowledged:
                pending.ReplyTo.Tell(pending.Reply);
                break;
            default:
                pending.ReplyTo.Tell(Unavailable(pending));
                break;
        }

        RunWaiting(pending.Key);
    }

    private GroupUnavailable Unavailable(PendingWrite pending) => new(pending.RequestId, _groupId,
        $"stored on {pending.Stored} of {pending.Asked} members, the write policy ({_settings.WritePolicy}) needs more: " +
        string.Join("; ", pending.Failures.Select(f => $"member {f.No}: {f.Error}")));

    /// <summary>
    /// Member <paramref name="no"/> now holds what was held for it (a resync numbered <paramref name="run"/> completed;
    /// a resync covers the writes held before it started), or no longer counts (it left traffic: run = max).
    /// </summary>
    private void ReleaseHeld(int no, long run)
    {
        foreach (var held in _held.ToList())
        {
            if (held.MissingOn.TryGetValue(no, out var needed) && run >= needed)
                held.MissingOn.Remove(no);
            if (held.MissingOn.Count > 0)
                continue;
            _held.Remove(held);
            // Vacuous when every member that stored it has left traffic too: then it is not stored where it counts.
            var pending = held.Pending;
            pending.ReplyTo.Tell(pending.StoredOn.Any(_members.ContainsKey) ? pending.Reply : Unavailable(pending));
        }
    }

    /// <summary>A held write whose missing members neither came back nor left within the limit fails, as p_usrloc's would.</summary>
    private void ExpireHeld()
    {
        var limit = DateTime.UtcNow - HeldReplyLimit;
        foreach (var held in _held.Where(h => h.Since < limit).ToList())
        {
            _held.Remove(held);
            held.Pending.ReplyTo.Tell(Unavailable(held.Pending));
        }
    }

    /// <summary>How long a write may wait for its missing members' fate: two watch ticks, so one resync can run.</summary>
    private TimeSpan HeldReplyLimit => _settings.Watch * 2;

    /// <summary>Requests that waited for an AOR run now, in their order; a new write (or read) makes the rest wait again.</summary>
    private void RunWaiting(string key)
    {
        if (!_aorsWriting.Remove(key, out var waiting))
            return;
        while (waiting.TryDequeue(out var next))
        {
            Dispatch(next.Request, next.Sender);
            if (_aorsWriting.TryGetValue(key, out var behind))
            {
                while (waiting.TryDequeue(out var rest))
                    behind.Enqueue(rest);
                return;
            }
        }
    }

    /// <summary>
    /// Shared-databases mode: reads the AOR's rows from the preferred readable member first (false when there is
    /// none: memory answers). A change keeps the AOR busy meanwhile, so later requests for it wait; a lookup does not.
    /// </summary>
    private bool ReadFirst(string key, IWithGroupId request, IActorRef sender, int? except = null, int tries = 0)
    {
        // p_usrloc reads a member still recovering when no other can be read; so does a group beside it.
        var candidates = InReadOrder().Where(m => m.Row.No != except).ToList();
        var member = candidates.FirstOrDefault(m => !_joined.Contains(m.Row.No) && !_resyncing.ContainsKey(m.Row.No)) ?? candidates.FirstOrDefault();
        if (member is null || tries >= _settings.MembersPerGroup)
            return false;
        var token = _reads.Start(key, request, sender, member.Row.No, tries + 1);
        if (request is not LookupContacts)
            _aorsWriting.TryAdd(key, new Queue<(IWithGroupId, IActorRef)>()); // a read sent again keeps the requests waiting behind it
        var aor = AorOf(request)!;
        member.Handle.Tell(new ReadAor(token, aor.Username, aor.Domain));
        return true;
    }

    /// <summary>
    /// Reads sent to member <paramref name="no"/> (only <paramref name="token"/>, when given) that it failed, or that
    /// went with its handle (it left traffic, or its handle stopped): each goes to another member, and when every
    /// member was tried, memory answers. Without this, a change waiting for such a read would hold its AOR forever.
    /// </summary>
    private void ReadElsewhere(int no, long? token = null)
    {
        foreach (var read in _reads.TakeSentTo(no, token))
        {
            if (!ReadFirst(read.Key, read.Request, read.Sender, except: no, read.Tries))
                AorReadDone(read, null);
        }
    }

    /// <summary>The rows of a shared-databases read arrived (null: no member could be read, memory answers).</summary>
    private void AorReadDone(AorReadInFlight read, IReadOnlyList<ContactBinding>? rows)
    {
        var (key, request, sender, _, _) = read;
        var changing = request is not LookupContacts;
        // The rows are the truth, unless a change of ours to this AOR is on its way (then memory is ahead of them).
        if (rows is not null && (changing || !_aorsWriting.ContainsKey(key)))
            _contacts.Set(key, AorBindings.FromWriteOrder(rows.Where(r => IsOurs(GroupContacts.KeyOf(r)))));
        if (request is LookupContacts lookup)
        {
            sender.Tell(new LookupResult(lookup.RequestId, lookup.Aor, _contacts.Get(key).Lookup(_clock(), lookup.MethodBit)));
            return;
        }

        var written = _seq;
        Apply(request, sender);
        if (_seq == written)
            RunWaiting(key); // nothing to write (refused, or no change): the next request for the AOR goes on
    }

    /// <summary>
    /// A write that some member stored enters memory. Nothing stored is taken back: a member that is still active but
    /// missed it gets the group's contacts copied over at the next watch tick, and until then the AOR is "dirty" —
    /// its next write carries its whole state, so even a retransmission answered from memory first repairs it.
    /// (A row that a member refused as invalid it would refuse in the copy too: that is not a miss.)
    /// </summary>
    private void Stored(PendingWrite pending)
    {
        _contacts.Set(pending.Key, pending.Next);
        var missed = pending.Failures.Where(f => !f.Refused && _members.ContainsKey(f.No)).Select(f => f.No).ToList();
        if (missed.Count == 0)
        {
            if (pending.Failures.Count == 0)
                _dirty.Remove(pending.Key);
            return;
        }

        foreach (var no in missed)
        {
            // Beside other writers the miss is written down in locdb: their readers avoid the member, and a group that
            // starts again elsewhere (which forgets _joined) still knows to catch it up.
            if (_settings.SharedDatabases && !_joined.Contains(no) && _members.TryGetValue(no, out var member) && !IsRecovering(member))
                _clusterConfig.Tell(new ChangeMember(_groupId, no, MemberChange.MarkRecovering, "missed a write the other members stored"));
            _joined.Add(no);
            if (_resyncing.ContainsKey(no))
                _missedAgain.Add(no); // the copy under way may have been taken before this write
        }

        if (!_dirty.TryGetValue(pending.Key, out var deleted))
            _dirty[pending.Key] = deleted = new HashSet<string>(StringComparer.Ordinal);
        deleted.UnionWith(pending.Write.DeletedRuids);
    }

    /// <summary>
    /// p_usrloc's error handling: each error is counted in locdb while below the threshold; the error that reaches it
    /// turns the member off (<c>status=0, failover=now</c>). The member leaves traffic here at once, so the writes
    /// that follow no longer wait for it.
    /// </summary>
    private void CountError(int no, string reason)
    {
        if (!_members.ContainsKey(no))
            return;
        var errors = _errors.GetValueOrDefault(no);
        if (errors < _settings.ErrorThreshold)
        {
            _errors[no] = ++errors;
            _clusterConfig.Tell(new ChangeMember(_groupId, no, MemberChange.CountError, reason));
        }

        if (errors < _settings.ErrorThreshold)
            return;
        _log.Warning("group {0}: member {1} reached {2} errors; turning it off", _groupId, no, errors);
        _membersTurnedOff++;
        _turnedOff[no] = _rows.FirstOrDefault(r => r.No == no)?.Failover ?? 0;
        _clusterConfig.Tell(new ChangeMember(_groupId, no, MemberChange.TurnOff, $"{errors} errors, the last: {reason}"));
        RemoveMember(no, "was turned off after too many errors");
    }

    /// <summary>
    /// A member whose failover stamp is not reset has been off (or is new) and missed writes: it gets the group's
    /// contacts copied over, and until that copy is complete it is never the member the group loads from. p_usrloc
    /// instead waits a whole expire_time and lets re-REGISTERs refill it. The copy goes first in the member's queue,
    /// so every write sent after it lands on top; writes still in flight elsewhere are sent to it as well.
    /// </summary>
    private void ResyncWhereNeeded()
    {
        foreach (var (no, member) in _members)
        {
            var stamp = member.Row.Failover;
            var recovering = IsRecovering(member);
            if (_resyncing.ContainsKey(no) || !(recovering || _joined.Contains(no)))
                continue; // resyncing already, or nothing missed
            if (_settings.SharedDatabases)
            {
                // Other writers use the tables: memory holds what this group loaded or touched, not what they wrote.
                if (CatchUpSource(no) is not { } source)
                {
                    if (_waitingForSource.Add(no))
                        _log.Warning("group {0}: member {1} missed writes, and no other member can be read to catch up from; waiting for one", _groupId, no);
                    continue;
                }

                _waitingForSource.Remove(no);
                _resyncing[no] = (stamp, ++_resyncRun);
                var complete = !IsRecovering(source);
                _log.Info("group {0}: member {1} catches up with member {2}{3}", _groupId, no, source.Row.No,
                    complete ? "" : ", which missed writes too: nothing but expired rows is deleted");
                var (url, options, table) = (DatabaseUrl.Parse(source.Row.Url), _settings.StorageOptions, _settings.Table);
                member.Handle.Tell(new CatchUpFrom(source.Row.No, () => new LocationDatabase(url, options, table), complete));
            }
            else
            {
                _resyncing[no] = (stamp, ++_resyncRun);
                var snapshot = _contacts.All().ToList();
                _log.Info("group {0}: resynchronising member {1} with {2} contacts", _groupId, no, snapshot.Count);
                member.Handle.Tell(new ResyncRows(snapshot));
            }

            foreach (var pending in _pending.Values)
            {
                if (pending.AskAgain(no)) // writes still in flight elsewhere, which it has not stored
                    member.Handle.Tell(pending.Write);
            }
        }
    }

    /// <summary>
    /// The member a returning member catches up from in shared-databases mode: one that holds everything (not itself
    /// catching up or known to have missed writes), a complete one first and then in p_usrloc's read order — two
    /// members both still recovering catch up from each other in turn. Null when there is none.
    /// </summary>
    private Member? CatchUpSource(int returning) => InReadOrder()
        .Where(m => m.Row.No != returning && !_joined.Contains(m.Row.No) && !_resyncing.ContainsKey(m.Row.No))
        .OrderBy(m => IsRecovering(m) ? 1 : 0)
        .FirstOrDefault();

    /// <summary>Its failover stamp says it missed writes (off, new, a spare), and no resync since covered that stamp.</summary>
    private bool IsRecovering(Member member) =>
        !LocDbRow.IsReset(member.Row.Failover) && _resyncedFor.GetValueOrDefault(member.Row.No) != member.Row.Failover;

    /// <summary>
    /// p_usrloc's watcher: a member that is off (status 0, not maintenance) is probed every retry interval and turned
    /// on again when it answers. Answering means a working connection and a working table, so a server whose table
    /// is broken does not flap on and off as p_usrloc's did.
    /// </summary>
    private void ProbeOffMembers()
    {
        foreach (var row in _rows.OrderBy(r => r.No).Take(_settings.MembersPerGroup).Where(r => r.Status == LocDbStatus.Off || _turnedOff.ContainsKey(r.No)))
        {
            if (!_probing.Add(row.No) || !DatabaseUrl.TryParse(row.Url, out var url, out _))
                continue;
            var no = row.No;
            var database = new LocationDatabase(url!, _settings.StorageOptions, _settings.Table);
            ProbeAsync(database).PipeTo(Self, success: error => new ProbeAnswered(no, error));
        }
    }

    private static async Task<string?> ProbeAsync(LocationDatabase database)
    {
        try
        {
            await database.ProbeAsync();
            return null;
        }
        catch (StorageException e)
        {
            return e.Message;
        }
        finally
        {
            await database.DisposeAsync();
        }
    }

    private void Expire()
    {
        var now = _clock();
        _removedCSeqs.Expire(now);
        var expired = _contacts.RemoveExpired(now);
        if (expired.Count > 0)
            _log.Info("group {0}: {1} contacts expired", _groupId, expired.Count);
        // The members delete every row expired by now, including rows other writers (Kamailio) left behind.
        foreach (var member in _members.Values)
            member.Handle.Tell(new DeleteExpiredRows(now));
    }

    private GroupStatus Status(GetGroupStatus request, string state)
    {
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        var up = cluster.State.Members.Where(m => m.Status == Akka.Cluster.MemberStatus.Up && m.HasRole(ClusterConstants.LocationRole))
            .Select(m => m.Address.ToString()).Order().ToList();
        return new GroupStatus(request.RequestId, _groupId, cluster.SelfAddress.ToString(), state, _contacts.AorCount, _contacts.BindingCount,
            _members.Keys.Order().ToList(), up, cluster.State.SeenBy.Select(a => a.ToString()).Order().ToList(), _membersTurnedOff, _resyncsDone);
    }

    private bool IsMine(IGroupMessage message) => message.GroupId == _groupId && message.Table == _table;

    private bool WhenMine(IWithGroupId message) => IsMine(message) && AorOf(message) is { } aor && IsOurs(aor.Value);

    private RequestRejected Misrouted(IWithGroupId message) => !IsMine(message)
        ? new RequestRejected(message.RequestId, $"request for {message.Table} group {message.GroupId} reached {_table} group {_groupId}")
        : new RequestRejected(message.RequestId, $"AOR {AorOf(message)} does not belong to group {_groupId} of {_groupCount}");

    private static Aor? AorOf(IWithGroupId message) => message switch
    {
        RegisterBindings r => r.Request?.Aor,
        LookupContacts l => l.Aor,
        RemoveContact r => r.Aor,
        RemoveAor r => r.Aor,
        _ => null,
    };

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

    // ---- layout and warm-up -----------------------------------------------------------------------------------

    /// <summary>Starts a handle for every active member among the first rows, and stops those no longer active.</summary>
    private void ApplyLayout(GroupLayout layout)
    {
        if (_groupCount == 0)
            _groupCount = layout.GroupCount;
        else if (layout.GroupCount != _groupCount)
            // N is fixed while the group runs (p_usrloc fixes it per process too): a new N re-partitions every user.
            _log.Error("group {0}: locdb now gives {1} groups, this group was started with {2}; keeping {2} until a restart",
                _groupId, layout.GroupCount, _groupCount);
        var firstRows = layout.Rows.OrderBy(r => r.No).Take(_settings.MembersPerGroup).ToList();
        foreach (var row in firstRows)
        {
            // locdb's count is the one that matters (other writers count too); writes of ours may still be on their way.
            var before = _rows.FirstOrDefault(r => r.No == row.No);
            var reactivated = before is not null && before.Status != LocDbStatus.On && row.Status == LocDbStatus.On;
            _errors[row.No] = reactivated ? row.Errors : Math.Max(row.Errors, _errors.GetValueOrDefault(row.No));
            // Every off/on switch stamps failover: a changed row means locdb has caught up with a turn-off made here.
            if (_turnedOff.TryGetValue(row.No, out var failoverThen) && (row.Status != LocDbStatus.On || row.Failover != failoverThen))
                _turnedOff.Remove(row.No);
        }

        _rows = layout.Rows;
        // A member turned off here stays out even while locdb (not yet written, master down) still says on.
        var active = firstRows.Where(r => r.Status == LocDbStatus.On && !_turnedOff.ContainsKey(r.No)).ToList();

        foreach (var (no, member) in _members.Where(m => active.All(r => r.No != m.Key || r.Url != m.Value.Row.Url)).ToList())
            RemoveMember(no, "leaves traffic");

        foreach (var row in active)
        {
            if (_members.TryGetValue(row.No, out var known))
            {
                _members[row.No] = known with { Row = row };
                continue;
            }

            if (!DatabaseUrl.TryParse(row.Url, out var url, out var error))
            {
                _log.Error("group {0}: member {1} has an unusable url: {2}", _groupId, row.No, error);
                continue;
            }

            _members[row.No] = new Member(row, StartHandle(row, url!));
            if (_serving)
                _joined.Add(row.No); // even set on by hand (2 -> 1, which p_usrloc lets skip recovery): it missed writes
            _log.Info("group {0}: member {1} ({2}) takes traffic", _groupId, row.No, url);
        }
    }

    /// <summary>p_usrloc's read order of the active members: the oldest failover first, then the lower <c>no</c>.</summary>
    private IEnumerable<Member> InReadOrder() => _members.Values.OrderBy(m => m.Row.Failover).ThenBy(m => m.Row.No);

    /// <summary>
    /// Loads the group's contacts from the preferred readable member (p_usrloc's read order: the oldest failover
    /// first, then the lower <c>no</c>); after a failure the next one, and when none is left, again a little later.
    /// </summary>
    private void StartWarmUp(int? after = null)
    {
        Become(WarmingUp);
        var candidates = InReadOrder().ToList();
        if (after is { } failedNo)
            candidates = candidates.SkipWhile(m => m.Row.No != failedNo).Skip(1).ToList();
        if (candidates.Count == 0)
        {
            _log.Warning("group {0}: no member database can be read; retrying in {1}", _groupId, _settings.Retry);
            Become(Unreadable);
            _stashed = 0;
            Stash.UnstashAll(); // they get "unavailable" now rather than a timeout later
            Timers.StartSingleTimer("warm-up", RetryWarmUp.Instance, _settings.Retry);
            return;
        }

        var source = candidates[0];
        var token = ++_warmUp;
        _contacts.Clear();
        _foreignRows = 0;
        var database = new LocationDatabase(DatabaseUrl.Parse(source.Row.Url), _settings.StorageOptions, _settings.Table);
        _ = WarmUpLoader.LoadAsync(database, source.Row.No, token, Self);
    }

    private void LoadPage(IReadOnlyList<ContactBinding> bindings)
    {
        foreach (var binding in bindings)
        {
            if (IsOurs(GroupContacts.KeyOf(binding)))
                _contacts.Load(binding);
            else
                _foreignRows++;
        }
    }

    /// <summary>Whether an AOR key is this group's: every key is, in a single (unpartitioned) domain.</summary>
    private bool IsOurs(string key)
    {
        if (_groupId == UsrlocDomain.SingleGroupId)
            return true;
        try
        {
            return Partitioner.GroupOf(key, _groupCount) == _groupId;
        }
        catch (InvalidPartitionKeyException)
        {
            return false;
        }
    }

    // ---- internal messages ------------------------------------------------------------------------------------

    private sealed record Member(LocDbRow Row, IActorRef Handle);

    /// <summary>A write waiting for the members it missed (→ the resync run that covers it) to be resynchronised or leave.</summary>
    private sealed record HeldReply(PendingWrite Pending, Dictionary<int, long> MissingOn, DateTime Since);

    private sealed class AskLayout
    {
        public static readonly AskLayout Instance = new();
    }

    private sealed class RetryWarmUp
    {
        public static readonly RetryWarmUp Instance = new();
    }

    private sealed class ExpireTick
    {
        public static readonly ExpireTick Instance = new();
    }

    private sealed class WatchTick
    {
        public static readonly WatchTick Instance = new();
    }

    /// <summary>A probe of an off member finished; <see cref="Error"/> is null when it answered.</summary>
    private sealed record ProbeAnswered(int No, string? Error);
}
