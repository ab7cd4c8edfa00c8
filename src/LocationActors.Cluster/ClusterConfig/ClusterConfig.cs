using System.Text.Json;
using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.LocDb;
using LocationActors.Storage;

namespace LocationActors.Cluster.ClusterConfig;

/// <summary>
/// The cluster's mirror of <c>locdb</c> (one per cluster, a singleton). It reads the table every poll interval and
/// pushes a group's rows to that group whenever they change, so no request ever reads <c>locdb</c> (p_usrloc re-reads
/// it on every operation). N, the number of groups, is computed once like p_usrloc does at start. When the master
/// database cannot be read, the last good layout stays in force: traffic never depends on the master being up.
/// The last good layout is also replicated to every node (distributed data), so a mirror that starts on another
/// node — after the old one's node died — begins with it, and with the same N, even while the master is down.
/// With a read database (p_usrloc's <c>read_db_url</c>, a replica) locdb is read there and written on the master:
/// either may fail on its own. A replica that cannot be read is replaced by the master for the reads; a master that
/// cannot be written holds the changes, while the layout goes on following the replica.
/// </summary>
public sealed class ClusterConfig : ReceiveActor, IWithTimers
{
    private readonly ClusterConfigSettings _settings;
    private readonly IActorRef _groups;
    private readonly MasterDatabase _master;
    private readonly MasterDatabase? _replica; // where locdb is read, when not on the master
    private bool _replicaFailing;             // the replica could not be read last time: its return is logged
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<(IActorRef Asker, GetGroupLayout Ask)> _waiting = [];

    private static readonly LWWRegisterKey<string> LastGoodLayout = new("locdb-last-good-layout");

    private readonly IActorRef? _replicator;
    private readonly Queue<(ChangeMember Change, IActorRef ReplyTo)> _changes = new();
    private Dictionary<int, IReadOnlyList<LocDbRow>> _rowsByGroup = new();
    private IReadOnlyList<LocDbRow> _otherRows = []; // rows outside 1..N (e.g. a group being prepared), shown to operators only
    private int _groupCount;
    private bool _busy; // the master handle runs one statement at a time: a read or a change

    /// <param name="settings">Where locdb is.</param>
    /// <param name="groups">Where group layouts are pushed: the location-groups shard region (routes by group id).</param>
    /// <param name="replicator">The distributed-data replicator that keeps the last good layout; null without a cluster.</param>
    public ClusterConfig(ClusterConfigSettings settings, IActorRef groups, IActorRef? replicator = null)
    {
        _settings = settings;
        _groups = groups;
        _replicator = replicator;
        _master = new MasterDatabase(settings.MasterUrl, settings.Storage, settings.Table);
        _replica = settings.ReadUrl is { } readUrl ? new MasterDatabase(readUrl, settings.Storage, settings.Table) : null;
        Starting();
    }

    // ---- behaviours -------------------------------------------------------------------------------------------

    /// <summary>With a cluster, the layout it kept is read before locdb, so N stays what the cluster has served with.</summary>
    private void Starting()
    {
        Receive<GetSuccess>(found =>
        {
            // A mirror that ran before on another node left its last good layout: start from it (and its N).
            if (found.Get(LastGoodLayout).Value is { Length: > 0 } json && JsonSerializer.Deserialize<SavedLayout>(json) is { } saved)
            {
                _log.Info("locdb: starting from the last good layout of {0} groups kept by the cluster", saved.GroupCount);
                _groupCount = saved.GroupCount;
                Apply(saved.Rows);
            }

            StartReading();
        });
        Receive<NotFound>(_ => StartReading());
        Receive<GetFailure>(_ => StartReading());
        Receive<ChangeMember>(Enqueue); // sent once locdb has been read
        Mirroring();
    }

    /// <summary>The master answered its last statement: changes go to it as they come.</summary>
    private void MasterReachable()
    {
        Receive<ChangeMember>(change =>
        {
            Enqueue(change);
            StartChange();
        });
        Receive<LocDbUnreadable>(failed =>
        {
            _busy = false;
            _log.Warning("locdb cannot be read ({0}); keeping the last good layout of {1} groups", failed.Reason, _groupCount);
            Become(MasterUnreachable);
        });
        Receive<ChangeFailed>(failed =>
        {
            _busy = false;
            _log.Warning("locdb cannot be written ({0}); {1} change(s) wait for the master", failed.Reason, _changes.Count);
            Become(MasterUnreachable);
        });
        Mirroring();
    }

    /// <summary>
    /// The master failed: the last good layout stays in force (traffic never depends on the master), and changes
    /// wait until a read succeeds again. With a replica the layout follows it meanwhile, and each read of it is
    /// followed by an attempt to write the changes waiting, or by a probe of the master when none wait.
    /// </summary>
    private void MasterUnreachable()
    {
        Receive<ChangeMember>(Enqueue);
        Receive<GetLocDb>(_ => Sender.Tell(Snapshot(masterDown: true)));
        Receive<LocDbUnreadable>(_ => _busy = false);
        Receive<ChangeFailed>(_ => _busy = false);
        Receive<LocDbRead>(read => !read.FromMaster, read =>
        {
            _busy = false;
            NoteReplica(read);
            Apply(read.Rows);
            if (_changes.Count > 0)
            {
                StartChange();
                return;
            }

            _busy = true;
            _master.ProbeAsync().PipeTo(Self, success: () => MasterAnswers.Instance, failure: _ => new ChangeFailed("the master does not answer"));
        });
        Receive<MasterAnswers>(_ =>
        {
            _busy = false;
            _log.Info("locdb: the master answers again");
            Become(MasterReachable);
        });
        Receive<LocDbRead>(read =>
        {
            _log.Info("locdb is readable again");
            Read(read);
        });
        Receive<ChangeWritten>(written =>
        {
            _log.Info("locdb is writable again");
            Become(MasterReachable);
            Written(written);
        });
        Mirroring();
    }

    /// <summary>What the mirror does in every state: poll locdb, push layouts to groups, answer who asks.</summary>
    private void Mirroring()
    {
        Receive<Poll>(_ => StartPoll());
        Receive<LocDbRead>(Read);
        Receive<ChangeWritten>(Written);
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(failure => _log.Warning("locdb: keeping the layout in the cluster failed: {0}", failure));
        Receive<GetLocDb>(_ => Sender.Tell(Snapshot(masterDown: false)));
        Receive<GetGroupLayout>(ask =>
        {
            if (_groupCount == 0)
            {
                if (!_waiting.Contains((Sender, ask))) // groups ask again every few seconds while they wait
                    _waiting.Add((Sender, ask));
            }
            else
                Sender.Tell(LayoutOf(ask.GroupId, ask.Table));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private void Written(ChangeWritten written)
    {
        _busy = false;
        var (change, replyTo) = _changes.Dequeue();
        _log.Info("locdb: {0} of group {1} member {2} ({3})", change.Change, change.GroupId, change.No, change.Reason);
        replyTo.Tell(new MemberChanged(change.GroupId, change.No, change.Change, written.Found));
        StartPoll(); // push the new state to the group now rather than at the next tick
    }

    public static Props Props(ClusterConfigSettings settings, IActorRef groups, IActorRef? replicator = null) =>
        Akka.Actor.Props.Create(() => new ClusterConfig(settings, groups, replicator));

    protected override void PreStart()
    {
        // With a cluster, the kept layout is read first, so N stays what the cluster has served with.
        if (_replicator is null)
            StartReading();
        else
            _replicator.Tell(Dsl.Get(LastGoodLayout, ReadLocal.Instance));
    }

    private void StartReading()
    {
        Become(MasterReachable);
        Self.Tell(Poll.Instance);
        Timers.StartPeriodicTimer("poll", Poll.Instance, _settings.Poll);
    }

    private void Read(LocDbRead read)
    {
        _busy = false;
        NoteReplica(read);
        Apply(read.Rows);
        Become(MasterReachable);
        StartChange();
    }

    private LocDbSnapshot Snapshot(bool masterDown) =>
        new(_groupCount, _rowsByGroup.Values.SelectMany(r => r).Concat(_otherRows).ToList(), masterDown);

    private void Enqueue(ChangeMember change)
    {
        if (_changes.Count >= MaxQueuedChanges)
        {
            // The head may be in flight, so the newest gives way; the sender hears nothing and may retry.
            _log.Warning("locdb: {0} changes wait for the master; dropping {1} of {2}/{3}", MaxQueuedChanges, change.Change, change.GroupId, change.No);
            return;
        }

        _changes.Enqueue((change, Sender));
    }

    // Closed in the background: the mailbox never waits on the database (a read may still be in flight).
    protected override void PostStop()
    {
        _ = _master.DisposeAsync().AsTask();
        if (_replica is not null)
            _ = _replica.DisposeAsync().AsTask();
    }

    /// <summary>Changes waiting while the master is down; p_usrloc simply skips them (mdb_availability_control).</summary>
    private const int MaxQueuedChanges = 1000;

    private void StartChange()
    {
        if (_busy || _changes.Count == 0)
            return;
        _busy = true;
        var (change, _) = _changes.Peek();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var write = change.Change switch
        {
            MemberChange.CountError => _master.IncrementErrorsAsync(change.GroupId, change.No),
            MemberChange.TurnOff when _settings.FailoverLevel == 2 => SwapOrDeactivateAsync(change.GroupId, change.No, now),
            MemberChange.TurnOff => _master.DeactivateAsync(change.GroupId, change.No, now),
            MemberChange.TurnOn => _master.ReactivateAsync(change.GroupId, change.No, now),
            MemberChange.EndRecovery => _master.ResetFailoverAsync(change.GroupId, change.No),
            MemberChange.MarkRecovering => _master.MarkRecoveringAsync(change.GroupId, change.No, now),
            MemberChange.Maintenance => _master.SetStatusAsync(change.GroupId, change.No, LocDbStatus.Maintenance),
            MemberChange.Activate => _master.ActivateAsync(change.GroupId, change.No),
            _ => Task.FromResult(false),
        };
        write.PipeTo(Self,
            success: found => new ChangeWritten(found),
            failure: e => new ChangeFailed(e is StorageException s ? s.Message : e.ToString()));
    }

    /// <summary>Failover level 2: a spare from another risk group takes the member's place; without one, it is just turned off.</summary>
    private async Task<bool> SwapOrDeactivateAsync(int groupId, int no, long now)
    {
        if (await _master.SwapWithSpareAsync(groupId, no, now) is { } spare)
        {
            _log.Warning("locdb: spare ({0},{1}) replaces member {2} of group {3}", spare.Id, spare.No, no, groupId);
            return true;
        }

        return await _master.DeactivateAsync(groupId, no, now);
    }

    private void StartPoll()
    {
        if (_busy)
            return;
        _busy = true;
        ReadLocDbAsync().PipeTo(Self, failure: e => new LocDbUnreadable(e is StorageException s ? s.Message : e.ToString()));
    }

    /// <summary>locdb from the replica when there is one and it answers, else from the master.</summary>
    private async Task<LocDbRead> ReadLocDbAsync()
    {
        if (_replica is null)
            return new LocDbRead(await _master.ReadAllAsync(), FromMaster: true);
        try
        {
            return new LocDbRead(await _replica.ReadAllAsync(), FromMaster: false);
        }
        catch (StorageException e)
        {
            return new LocDbRead(await _master.ReadAllAsync(), FromMaster: true, ReplicaFailure: e.Message);
        }
    }

    /// <summary>Logs the replica failing, and answering again, once each time it changes.</summary>
    private void NoteReplica(LocDbRead read)
    {
        if (_replica is null || (read.ReplicaFailure is not null) == _replicaFailing)
            return;
        _replicaFailing = read.ReplicaFailure is not null;
        if (_replicaFailing)
            _log.Warning("locdb: the read database cannot be read ({0}); reading the master instead", read.ReplicaFailure);
        else
            _log.Info("locdb: the read database ({0}) answers again; reading it", _replica.Url);
    }

    private void Apply(IReadOnlyList<LocDbRow> rows)
    {
        if (_groupCount == 0)
        {
            LocDbLayout layout;
            try
            {
                layout = LocDbLayout.FromRows(rows);
            }
            catch (InvalidOperationException e)
            {
                _log.Error("locdb: {0}; no group can start until it has one", e.Message);
                return;
            }

            _groupCount = layout.GroupCount;
            foreach (var problem in layout.Problems)
                _log.Warning("locdb: {0}", problem);
            _log.Info("locdb: {0} location groups", _groupCount);
        }
        else if (rows.Where(r => r.Status == LocDbStatus.On).Select(r => r.Id).DefaultIfEmpty(0).Max() is var n && n != _groupCount)
        {
            // p_usrloc fixes N at start too: changing it re-partitions every user, which needs a restart of everything.
            _log.Warning("locdb now gives {0} groups, the cluster serves {1}; restart every node (and Kamailio) to change it", n, _groupCount);
        }

        var firstLoad = _rowsByGroup.Count == 0;
        var byGroup = rows.Where(r => r.Id >= 1 && r.Id <= _groupCount).GroupBy(r => r.Id)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<LocDbRow>)g.OrderBy(r => r.No).ToList());
        var changed = Enumerable.Range(1, _groupCount)
            .Where(id => _rowsByGroup.GetValueOrDefault(id) is not { } before || !before.SequenceEqual(byGroup.GetValueOrDefault(id) ?? []))
            .ToList();
        _rowsByGroup = byGroup;
        _otherRows = rows.Where(r => r.Id < 1 || r.Id > _groupCount).OrderBy(r => r.Id).ThenBy(r => r.No).ToList();

        // Pushing a layout also starts a group that is not running yet, so every group runs from the first read on.
        foreach (var domain in _settings.UsrlocDomains)
        {
            if (domain.Kind == DomainKind.Cluster)
                foreach (var id in changed)
                    _groups.Tell(LayoutOf(id, domain.Table));
            else if (firstLoad)
                _groups.Tell(LayoutOf(UsrlocDomain.SingleGroupId, domain.Table));
        }

        foreach (var (asker, ask) in _waiting)
            asker.Tell(LayoutOf(ask.GroupId, ask.Table));
        _waiting.Clear();

        if (_replicator is not null && changed.Count > 0)
        {
            var json = JsonSerializer.Serialize(new SavedLayout(_groupCount, rows));
            var node = Akka.Cluster.Cluster.Get(Context.System).SelfUniqueAddress;
            _replicator.Tell(Dsl.Update(LastGoodLayout, new LWWRegister<string>(node, json), WriteLocal.Instance,
                register => register.WithValue(node, json)));
        }
    }

    /// <summary>
    /// A group's rows; for a single domain one row naming its database (group 0, member 1, always on), so its
    /// group works like any other. A group that does not exist (an unknown table, an id beyond N) is told so.
    /// </summary>
    private GroupLayout LayoutOf(int groupId, string table)
    {
        var domain = _settings.UsrlocDomains.FirstOrDefault(d => d.Table == table);
        return domain switch
        {
            { Kind: DomainKind.Single, Url: { } url } when groupId == UsrlocDomain.SingleGroupId =>
                new GroupLayout(groupId, _groupCount, [new LocDbRow(groupId, 1, url.Original, LocDbStatus.On, 0, LocDbRow.ZeroTime, false, 0)], table),
            { Kind: DomainKind.Cluster } when groupId >= 1 && groupId <= _groupCount =>
                new GroupLayout(groupId, _groupCount, _rowsByGroup.GetValueOrDefault(groupId) ?? [], table),
            _ => new GroupLayout(groupId, _groupCount, [], table, Exists: false),
        };
    }

    /// <param name="FromMaster">Read on the master (no replica, or the replica failed): the master answers.</param>
    /// <param name="ReplicaFailure">Why the replica could not be read, when it could not.</param>
    private sealed record LocDbRead(IReadOnlyList<LocDbRow> Rows, bool FromMaster, string? ReplicaFailure = null);

    /// <summary>The layout as kept in distributed data: N and every row.</summary>
    private sealed record SavedLayout(int GroupCount, IReadOnlyList<LocDbRow> Rows);

    private sealed record LocDbUnreadable(string Reason);

    private sealed record ChangeWritten(bool Found);

    private sealed record ChangeFailed(string Reason);

    private sealed class Poll
    {
        public static readonly Poll Instance = new();
    }

    private sealed class MasterAnswers
    {
        public static readonly MasterAnswers Instance = new();
    }
}
