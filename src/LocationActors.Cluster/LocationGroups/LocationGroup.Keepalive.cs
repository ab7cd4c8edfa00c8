using Akka.Actor;
using Akka.Event;
using LocationActors.Cluster.Metrics;
using LocationActors.Cluster.ProxyLinks;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>
/// The group's keepalive and its change feed. The group owns each of its contacts in one place in the cluster, so it
/// is the one that pings them (<see cref="KeepaliveSchedule"/>): every interval, spread over it, through its node's
/// <see cref="ProxyLinks.ProxyLinks"/> and the proxy that owns the contact's socket, and it removes a contact that left
/// too many pings unanswered, as a write like any other. What it stores, removes and expires goes to the feed while a
/// proxy has a reader for it.
/// </summary>
public sealed partial class LocationGroup
{
    /// <summary>Contacts per ping message: well inside Akka's remote frame.</summary>
    private const int PingBatchSize = 100;

    private readonly IActorRef _links;
    private readonly ChangeFeedDemand? _feed;
    private readonly KeepaliveSchedule _keepalive;
    private long _lastKeepaliveTick;
    private bool _unpingedLogged;

    private void StartKeepalive()
    {
        if (!_keepalive.Settings.Enabled || _links.IsNobody())
            return;
        _lastKeepaliveTick = _clock();
        Timers.StartPeriodicTimer("keepalive", KeepaliveTick.Instance, TimeSpan.FromSeconds(1));
    }

    /// <summary>What a serving group does for keepalive: ping what is due, count the answers, remove the dead.</summary>
    private void Keepalive()
    {
        Receive<KeepaliveTick>(_ => PingDue());
        Receive<SendPings>(send => _links.Tell(send.Batch));
        Receive<PingsAnswered>(answered =>
        {
            _unpingedLogged = false;
            NodeMetrics.KeepalivePings(_name, answered.Answered.Count, answered.Unanswered.Count);
            foreach (var (ruid, key) in _keepalive.Answered(answered))
            {
                var bindings = _contacts.Get(key);
                if (bindings.FirstOrDefault(b => b.Ruid == ruid) is not { } dead)
                    continue;
                _log.Info("group {0}: contact {1} of {2} left {3} keepalive pings unanswered; removing it", _name, dead.Contact, key,
                    _keepalive.Settings.MaxMissed);
                Dispatch(new DropUnreachable(_groupId, 0, Aor.FromColumns(dead.Username, dead.Domain), ruid, dead.CallId, dead.CSeq, _table), Self);
            }
        });
        Receive<PingsNotSent>(notSent =>
        {
            _keepalive.NotSent(notSent);
            if (!_unpingedLogged)
                _log.Warning("group {0}: no proxy with a SIP socket is linked to this node; its contacts are not pinged (logged once until pings go out again)",
                    _name);
            _unpingedLogged = true;
        });
        Receive<UnreachableDropped>(dropped =>
        {
            if (dropped.Removed)
                NodeMetrics.KeepaliveRemoved(_name);
        });
        Receive<GroupUnavailable>(failed => _log.Warning("group {0}: removing an unreachable contact failed: {1}", _name, failed.Reason));
    }

    private void PingDue()
    {
        var now = _clock();
        var seconds = (int)Math.Clamp(now - _lastKeepaliveTick, 1, _keepalive.Settings.Slots);
        _lastKeepaliveTick = now;
        var due = new List<PingTarget>();
        foreach (var slot in _keepalive.DueSlots(now))
        {
            foreach (var key in _contacts.KeysInSlot(slot, _keepalive.Settings.Slots).ToList())
            {
                foreach (var binding in _contacts.Get(key))
                {
                    if (binding.IsValidAt(now) && KeepaliveSchedule.Pingable(binding))
                        due.Add(new PingTarget(binding.Ruid, key, binding.Contact, binding.Path, binding.Received, binding.Socket));
                }
            }
        }

        // Spread over the second, not sent at once: a burst of thousands of OPTIONS overflows the receive buffers of
        // the edges and phones, and their answers the proxy's.
        var batches = _keepalive.Take(due, seconds, PingBatchSize);
        for (var i = 0; i < batches.Count; i++)
        {
            if (i == 0)
                _links.Tell(batches[i]);
            else
                Timers.StartSingleTimer($"ping-{batches[i].Batch}", new SendPings(batches[i]), TimeSpan.FromMilliseconds(900.0 * i / batches.Count));
        }
        NodeMetrics.KeepaliveBacklog(_name, _keepalive.Backlog);
    }

    // ---- the change feed ----------------------------------------------------------------------------------------

    /// <summary>
    /// A write entered memory: a written contact's missed pings start over, and what it inserted, refreshed and removed
    /// goes to the feed when <paramref name="before"/> (the AOR's bindings before it) was read for it.
    /// </summary>
    private void Changed(string key, AorBindings? before, IReadOnlyList<ContactBinding> upserts, IReadOnlyList<string> deletes, object reply)
    {
        foreach (var ruid in deletes)
            _keepalive.Forget(ruid);
        foreach (var upsert in upserts)
            _keepalive.Forget(upsert.Ruid);
        if (before is null)
            return;
        var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var changes = new List<ContactChange>();
        foreach (var upsert in upserts)
            changes.Add(Change(before.Any(b => b.Ruid == upsert.Ruid) ? ContactChangeKind.Refreshed : ContactChangeKind.Inserted, key, upsert, at));
        var removedKind = reply is UnreachableDropped ? ContactChangeKind.KeepaliveFailed : ContactChangeKind.Removed;
        foreach (var gone in before.Where(b => deletes.Contains(b.Ruid)))
            changes.Add(Change(removedKind, key, gone, at));
        if (changes.Count > 0)
            _links.Tell(new ContactChanges(changes));
    }

    /// <summary>Contacts the expiry sweep removed.</summary>
    private void ExpiredFromMemory(IReadOnlyList<ContactBinding> expired)
    {
        foreach (var binding in expired)
            _keepalive.Forget(binding.Ruid);
        if (_feed is not { Wanted: true } || expired.Count == 0)
            return;
        var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        _links.Tell(new ContactChanges(expired.Select(b => Change(ContactChangeKind.Expired, GroupContacts.KeyOf(b), b, at)).ToList()));
    }

    private ContactChange Change(ContactChangeKind kind, string key, ContactBinding binding, long at) =>
        new(kind, key, binding.Ruid, binding.Contact, binding.Expires, binding.Received, binding.Path, binding.Instance, at, _name);
}
