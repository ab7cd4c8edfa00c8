using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>What a request does to one AOR: the reply, and the AOR's bindings and rows once stored.</summary>
/// <param name="Write">False when nothing is to be stored (refused, or no change): the reply goes at once.</param>
public sealed record AorChange(object Reply, AorBindings Next, IReadOnlyList<ContactBinding> Upserts, IReadOnlyList<string> Deletes, bool Write);

/// <summary>
/// The rules a location group applies to a change of one AOR: the registrar's for a REGISTER, and the removal
/// tombstones (<see cref="RemovedCSeqs"/>) that keep an older copy of a REGISTER from bringing back a contact a later
/// one removed. No actor and no database: the group writes what this decides.
/// </summary>
public sealed class AorChangeRules(RegistrarSettings registrar, RuidGenerator ruids)
{
    private readonly RemovedCSeqs _removedCSeqs = new();

    /// <summary>
    /// The change <paramref name="request"/> makes to <paramref name="current"/>. A REGISTER that changes nothing is
    /// still written when the AOR is <paramref name="dirty"/> (a member missed its last change: this write repairs it).
    /// </summary>
    public AorChange Apply(IWithAor request, AorBindings current, long now, bool dirty)
    {
        switch (request)
        {
            case RegisterBindings register:
                return Register(register, current, now, dirty);
            case RemoveContact remove:
                var gone = current.Where(b => b.Contact == remove.Contact).Select(b => b.Ruid).ToList();
                return new AorChange(new ContactsRemoved(remove.RequestId, remove.Aor, gone.Count), gone.Aggregate(current, (kept, ruid) => kept.Remove(ruid)),
                    [], gone, Write: true);
            case DropUnreachable drop:
                var there = current.Any(b => b.Ruid == drop.Ruid && b.CallId == drop.CallId && b.CSeq == drop.CSeq);
                return new AorChange(new UnreachableDropped(drop.RequestId, drop.Aor, drop.Ruid, there), there ? current.Remove(drop.Ruid) : current, [],
                    there ? [drop.Ruid] : [], Write: there);
            case RemoveAor remove:
                var all = current.Select(b => b.Ruid).ToList();
                return new AorChange(new ContactsRemoved(remove.RequestId, remove.Aor, all.Count), AorBindings.Empty, [], all, Write: true);
            default:
                return new AorChange(new RequestRejected(request.RequestId, $"{request.GetType().Name} does not change an AOR"), current, [], [], Write: false);
        }
    }

    /// <summary>Forgets removals older than <see cref="RemovedCSeqs.KeepSeconds"/>.</summary>
    public void Expire(long now) => _removedCSeqs.Expire(now);

    private AorChange Register(RegisterBindings register, AorBindings current, long now, bool dirty)
    {
        var request = register.Request;
        var key = request.Aor.Value;
        if (_removedCSeqs.Overtaken(key, request.CallId, request.CSeq) is { } removedBy)
        {
            var refused = new RegisterResult(register.RequestId, request.Aor, null, RegisterRejection.InvalidCSeq,
                $"CSeq {request.CSeq} is older than {removedBy}, which removed a contact of this Call-ID", current.Lookup(now));
            return new AorChange(refused, current, [], [], Write: false);
        }

        var outcome = Registrar.Apply(current, request, registrar, now, ruids.Next);
        if (outcome.Accepted)
        {
            foreach (var gone in current.Where(b => outcome.DeletedRuids.Contains(b.Ruid)))
                _removedCSeqs.Removed(key, gone, request.CallId, request.CSeq, now);
        }

        var reply = new RegisterResult(register.RequestId, request.Aor, outcome.Action, outcome.Rejection, outcome.Reason, outcome.Bindings.Lookup(now));
        return new AorChange(reply, outcome.Bindings, outcome.Upserts, outcome.DeletedRuids, outcome.Accepted && (outcome.HasWrites || dirty));
    }
}
