using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.DbHandles;
using LocationActors.Cluster.Metrics;
using LocationActors.Cluster.ProxyLinks;
using LocationActors.Domain.Contacts;
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
/// <see cref="RemovedCSeqs"/>, <see cref="AorReadsInFlight"/>, <see cref="WarmUpLoader"/> and <see cref="KeepaliveSchedule"/>.
/// The class is split by concern, as Akka.NET splits its <c>ActorCell</c>: the behaviours here, the requests and writes
/// in <c>LocationGroup.Writes.cs</c>, the member databases and their supervision in <c>LocationGroup.Members.cs</c>,
/// the keepalive pings and the change feed in <c>LocationGroup.Keepalive.cs</c>.
/// </summary>
public sealed partial class LocationGroup : ReceiveActor, IWithStash, IWithTimers
{
    /// <summary>AORs per dump page: a page must fit Akka's remote frame (128 kB; a binding is about 340 bytes).</summary>
    public const int MaxDumpPageAors = 100;

    private readonly int _groupId;
    private readonly string _table;
    private readonly LocationGroupSettings _settings;
    private readonly IActorRef _clusterConfig;
    private readonly Func<long> _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private GroupContacts _contacts = new(); // while loading: only the AORs read or written since it began (_load)
    private ContactsLoad? _load; // the warm-up in progress; null once the group holds every contact
    private readonly GroupMembers _members;
    private readonly GroupWrites _writes = new();
    private readonly AorReadsInFlight _reads = new();
    private readonly AorChangeRules _rules;
    private readonly GroupPartition _partition;
    private readonly string _name; // table/id, as sharding names the entity: the label of its metrics
    private bool _serving;
    private int _handleGeneration;
    private int _stashed;
    private long _warmUp;
    private long _warmUpStarted; // Stopwatch timestamp
    private int _membersTurnedOff;
    private int _resyncsDone;
    private DateTime? _firstStored; // when a member first stored a write of this group here, and last did: two nodes
    private DateTime _lastStored;   // writing for one group at once would be a finding of the chaos harness, which reads them in the log

    public LocationGroup(int groupId, LocationGroupSettings settings, IActorRef clusterConfig, RuidGenerator ruids, Func<long>? clock = null,
        IActorRef? links = null, ChangeFeedDemand? feed = null)
    {
        _links = links ?? ActorRefs.Nobody;
        _feed = feed;
        _keepalive = new KeepaliveSchedule(settings.KeepaliveSettings);
        _groupId = groupId;
        _table = settings.Table;
        _settings = settings;
        _clusterConfig = clusterConfig;
        _clock = clock ?? (() => DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        _members = new GroupMembers(settings.MembersPerGroup);
        _rules = new AorChangeRules(settings.Registrar, ruids);
        _partition = new GroupPartition(groupId, settings.Table);
        _name = GroupMessageExtractor.EntityIdOf(settings.Table, groupId);
        WaitingForLayout();
    }

    public IStash Stash { get; set; } = null!;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="links">The node's <see cref="ProxyLinks.ProxyLinks"/>: where keepalive pings and the change feed go (none: neither is sent).</param>
    /// <param name="feed">Whether anyone reads the change feed (null: nobody ever does).</param>
    public static Props Props(int groupId, LocationGroupSettings settings, IActorRef clusterConfig, RuidGenerator ruids, Func<long>? clock = null,
        IActorRef? links = null, ChangeFeedDemand? feed = null) =>
        Akka.Actor.Props.Create(() => new LocationGroup(groupId, settings, clusterConfig, ruids, clock, links, feed));

    protected override void PostStop()
    {
        NodeMetrics.GroupStopped(_name);
        if (_firstStored is { } first)
            _log.Info("group {0} stops on this node; its writes were stored from {1} to {2}", _name, first.ToString("o"), _lastStored.ToString("o"));
    }

    /// <summary>A member stored writes of this group: the span in which this node wrote for it.</summary>
    private void NoteStored()
    {
        _lastStored = DateTime.UtcNow;
        if (_firstStored is not null)
            return;
        _firstStored = _lastStored;
        _log.Info("group {0} stores writes from this node since {1}", _name, _lastStored.ToString("o"));
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

    /// <summary>
    /// Loading the contacts from a member while serving: an AOR the group has not read or written since the load began
    /// is read from a member first (<see cref="ContactsLoad"/>), so a group of any size answers as soon as it has its
    /// layout. Only what needs the whole group (a dump) waits for the load.
    /// </summary>
    private void WarmingUp()
    {
        Receive<AskLayout>(_ => { }); // a tick that was already queued when the layout arrived
        Receive<GroupLayout>(_partition.IsMine, ApplyLayout);
        Receive<WarmUpPage>(page => page.Token == _warmUp, page =>
        {
            LoadPage(page.Bindings);
            Sender.Tell(WarmUpPageTaken.Instance);
        });
        Receive<WarmUpDone>(done => done.Token == _warmUp, WarmedUp);
        Receive<WarmUpFailed>(failed => failed.Token == _warmUp, failed =>
        {
            _log.Warning("group {0}: loading contacts from member {1} failed: {2}", _groupId, failed.MemberNo, failed.Reason);
            StartWarmUp(after: failed.MemberNo);
        });
        Receive<RetryWarmUp>(_ => StartWarmUp());
        Requests();
        MemberAnswers();
        Receive<GetGroupStatus>(_partition.IsMine, status => Sender.Tell(Status(status, "loading")));
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
        MemberAnswers(); // writes and reads still in flight end as their members answer
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
        Requests();
        Receive<DumpGroup>(_partition.IsMine, dump =>
        {
            var (bindings, next) = _contacts.Page(dump.After, Math.Clamp(dump.PageSize, 1, MaxDumpPageAors));
            Sender.Tell(new DumpPage(dump.RequestId, _groupId, bindings, next));
        });
        Receive<GetGroupStatus>(_partition.IsMine, status => Sender.Tell(Status(status, "serving")));
        Receive<IWithGroupId>(other => Sender.Tell(_partition.Misrouted(other)));
        MemberAnswers();
        Receive<Resynced>(Resynced);
        Receive<CopyUnderway>(underway =>
        {
            if (_members.WithHandle(Sender) is not { } member || member.No != underway.MemberNo)
                return;
            _members.CopyBegan(member);
            foreach (var pending in _writes.StopAwaiting(member.No))
                Decide(pending);
        });
        Receive<ResyncFailed>(failed =>
        {
            if (_members.WithHandle(Sender) is not { No: var no } member || no != failed.MemberNo)
                return; // from a handle the group has let go since
            _log.Warning("group {0}: resync of member {1} failed: {2}", _groupId, no, failed.Error.Message);
            _members.ResyncFailed(member); // tried again at the next watch tick
            if (failed.Error.Kind is not StorageErrorKind.InvalidData && failed.MemberAtFault)
                CountError(no, failed.Error.Message);
        });

        // Timers and probes.
        Receive<WatchTick>(_ =>
        {
            foreach (var expired in _writes.ExpireHeld(DateTime.UtcNow - _settings.Watch * 2)) // two ticks: one resync can run
                expired.ReplyTo.Tell(Unavailable(expired));
            ProbeOffMembers();
            ResyncWhereNeeded(); // a resync that failed is tried again
            NodeMetrics.GroupSize(_name, _contacts.BindingCount, _contacts.AorCount, 0);
        });
        Receive<ExpireTick>(_ => Expire());
        Keepalive();
        Receive<ProbeAnswered>(answer =>
        {
            _members.ProbeDone(answer.No);
            if (answer.Error is null)
                _clusterConfig.Tell(new ChangeMember(_groupId, answer.No, MemberChange.TurnOn, "answers the probe again"));
        });
        Receive<MemberChanged>(_ => { }); // the new state arrives with the next layout
    }

    /// <summary>The requests for one AOR: a lookup, a REGISTER, a removal (while loading, too).</summary>
    private void Requests()
    {
        Receive<RegisterBindings>(register => string.IsNullOrEmpty(register.Request?.Aor?.Username),
            register => Sender.Tell(new RequestRejected(register.RequestId, "a REGISTER needs a request with an AOR")));
        Receive<LookupContacts>(_partition.IsForMe, lookup => Look(lookup, Sender));
        Receive<IWithAor>(_partition.IsForMe, change => Dispatch(change, Sender));
    }

    /// <summary>What the member handles answer: writes, reads of an AOR, the removal of expired rows, a handle that stopped.</summary>
    private void MemberAnswers()
    {
        Receive<RowsWritten>(written =>
        {
            NoteStored();
            Settle(written.MemberNo, written.Seqs, null);
        });
        Receive<RowsWriteFailed>(failed =>
        {
            var refused = failed.Error.Kind is StorageErrorKind.InvalidData;
            Settle(failed.MemberNo, failed.Seqs, failed.Error.Message, refused);
            // A database that failed (not a row it refused) counts against the member in locdb, as in p_usrloc — once
            // for a handle's crash, which its supervision counted.
            if (!refused && !failed.HandleRestarts)
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
        Receive<ExpiredRowsDeleted>(deleted =>
        {
            if (deleted.Count > 0)
                _log.Debug("group {0}: member {1} deleted {2} expired rows", _groupId, deleted.MemberNo, deleted.Count);
        });
        Receive<Terminated>(HandleStopped);
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
        _warmUpStarted = Stopwatch.GetTimestamp();
        _load ??= new ContactsLoad();
        _load.Restart(); // what the group read or wrote while loading stays: it is newer than any row streamed
        UnstashAll(); // requests for AORs are served from now on; a dump waits for the load again
        var database = new LocationDatabase(DatabaseUrl.Parse(source.Row.Url), _settings.StorageOptions, _settings.Table);
        _ = WarmUpLoader.LoadAsync(database, source.No, token, Self);
    }

    private void LoadPage(IReadOnlyList<ContactBinding> bindings)
    {
        _load!.Load(bindings, _partition.Owns);
        NodeMetrics.GroupSize(_name, _load.LoadedBindings + _contacts.BindingCount, _contacts.AorCount, _stashed);
    }

    private void WarmedUp(WarmUpDone done)
    {
        var foreignRows = _load!.ForeignRows;
        var settled = _load.SettledCount;
        _contacts = _load.Complete(_contacts);
        _load = null;
        _log.Info("{0} group {1}: loaded {2} contacts of {3} AORs from member {4} ({5} AORs read or written while loading){6}", [_table, _groupId,
            _contacts.BindingCount, _contacts.AorCount, done.MemberNo, settled, foreignRows > 0 ? $" ({foreignRows} rows of other groups ignored)" : ""]);
        NodeMetrics.WarmedUp(_name, _contacts.BindingCount, Stopwatch.GetElapsedTime(_warmUpStarted));
        NodeMetrics.GroupSize(_name, _contacts.BindingCount, _contacts.AorCount, 0);
        Become(Serving);
        UnstashAll();
        Timers.StartPeriodicTimer("expiry", ExpireTick.Instance, _settings.Expiry);
        Timers.StartPeriodicTimer("watch", WatchTick.Instance, _settings.Watch);
        StartKeepalive();
        _serving = true;
        // The group may have stopped with writes in flight (its node died): some reached one member, some another.
        // Memory now holds what the member it loaded from holds (and what the group read and wrote while loading); the
        // others are brought to exactly that — a read and the few rows that differ. With other writers on the
        // databases there is no such single truth.
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
        if (((ExtendedActorSystem)Context.System).Provider is not Akka.Cluster.IClusterActorRefProvider) // a group on its own (tests): no cluster to describe
            return new GroupStatus(request.RequestId, _groupId, Self.Path.Address.ToString(), state, _contacts.AorCount, _contacts.BindingCount,
                _members.ActiveNumbers, [], [], _membersTurnedOff, _resyncsDone, _members.CatchingUpNumbers);
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        var up = cluster.State.Members.Where(m => m.Status == Akka.Cluster.MemberStatus.Up && m.HasRole(ClusterConstants.LocationRole))
            .Select(m => m.Address.ToString()).Order().ToList();
        return new GroupStatus(request.RequestId, _groupId, cluster.SelfAddress.ToString(), state, _contacts.AorCount, _contacts.BindingCount,
            _members.ActiveNumbers, up, cluster.State.SeenBy.Select(a => a.ToString()).Order().ToList(), _membersTurnedOff, _resyncsDone,
            _members.CatchingUpNumbers);
    }
}
