using LocationActors.Cluster.DbHandles;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Partitioning;
using LocationActors.Domain.Registrations;

namespace LocationActors.Benchmarks;

/// <summary>
/// What a <see cref="LocationGroup"/> does in memory for a lookup and a REGISTER, with the classes it uses
/// (<see cref="GroupContacts"/>, <see cref="Registrar"/>, <see cref="AorBindings"/>). The actor composes them inside
/// its message handlers, so the composition is repeated here step for step (LocationGroup.Serving, WhenMine,
/// HandleRegister, Write, Stored), with every member database taken to store the write at once.
/// </summary>
public sealed class GroupState(int groupId, int groupCount)
{
    private readonly RuidGenerator _ruids = new(Samples.Now, 0x5f3a9b2c);
    private long _seq;

    public GroupContacts Contacts { get; } = new();

    /// <summary>The rows the last write sent to the member handles (kept so the message is really built).</summary>
    public WriteRows? LastWrite { get; private set; }

    /// <summary>Fills the group with one binding per AOR, as the warm-up does.</summary>
    public static GroupState Filled(int contacts, int groupCount = 1)
    {
        var state = new GroupState(1, groupCount);
        for (var n = 0; n < contacts; n++)
            state.Contacts.Load(Samples.Binding(n));
        return state;
    }

    public LookupResult? Lookup(LookupContacts lookup, long now)
    {
        if (!IsOurs(lookup.Aor.Value))
            return null;
        return new LookupResult(lookup.RequestId, lookup.Aor, Contacts.Get(lookup.Aor).Lookup(now, lookup.MethodBit));
    }

    public RegisterResult? Register(RegisterBindings register, long now)
    {
        var request = register.Request;
        if (!IsOurs(request.Aor.Value))
            return null;
        var outcome = Registrar.Apply(Contacts.Get(request.Aor), request, RegistrarSettings.Default, now, _ruids.Next);
        var reply = new RegisterResult(register.RequestId, request.Aor, outcome.Action, outcome.Rejection, outcome.Reason, outcome.Bindings.Lookup(now));
        if (!outcome.Accepted || !outcome.HasWrites)
            return reply;
        LastWrite = new WriteRows(++_seq, outcome.Upserts, outcome.DeletedRuids);
        Contacts.Set(request.Aor.Value, outcome.Bindings);
        return reply;
    }

    private bool IsOurs(string key) => groupId == UsrlocDomain.SingleGroupId || Partitioner.GroupOf(key, groupCount) == groupId;
}
