using BenchmarkDotNet.Attributes;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;

namespace LocationActors.Benchmarks;

/// <summary>
/// A location group's lookup and REGISTER in memory (<see cref="GroupState"/>: the group's own classes, composed as
/// the actor composes them), with 10 k to 1 M stored contacts: the cost per request should not grow with the group.
/// AORs are picked at random over the whole group, as real traffic does, so a large group also pays its cache misses.
/// </summary>
[MemoryDiagnoser]
public class GroupBenchmarks
{
    private GroupState _group = null!;
    private ulong _random = 0x9E3779B97F4A7C15;
    private int _cseq = 1;
    private int _fresh;

    [Params(10_000, 100_000, 1_000_000)]
    public int StoredContacts { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _group = GroupState.Filled(StoredContacts);
        _fresh = StoredContacts;
    }

    /// <summary>A lookup of a registered AOR (one valid contact).</summary>
    [Benchmark]
    public LookupResult? Lookup() => _group.Lookup(new LookupContacts(1, 1, Samples.AorOf(Pick())), Samples.Now);

    /// <summary>A phone's refresh: the same contact and Call-ID, a higher CSeq. Most REGISTERs a registrar sees are these.</summary>
    [Benchmark]
    public RegisterResult? ReRegister()
    {
        var n = Pick();
        var aor = Samples.AorOf(n);
        var stored = _group.Contacts.Get(aor)[0];
        var request = new RegisterRequest(aor, [new ContactUpdate(stored.Contact, 3600, QValue.Unspecified, stored.Received)], stored.CallId, ++_cseq,
            UserAgent: stored.UserAgent, Socket: stored.Socket);
        return _group.Register(new RegisterBindings(1, _cseq, request), Samples.Now);
    }

    /// <summary>
    /// A new AOR's first REGISTER, then its removal (Expires 0), so the group keeps its size however many times it
    /// runs: the cost of a pair, i.e. of adding and removing an AOR in the group's indexes.
    /// </summary>
    [Benchmark]
    public RegisterResult? NewAorThenRemove()
    {
        var n = _fresh++;
        var first = _group.Register(new RegisterBindings(1, n, Samples.Register(n, 1)), Samples.Now);
        var removal = _group.Register(new RegisterBindings(1, n, Samples.Register(n, 2, expires: 0)), Samples.Now);
        return first!.Bindings.Count == 1 ? removal : first;
    }

    // xorshift64: cheap and stateful, so every call asks for another AOR anywhere in the group.
    private int Pick()
    {
        _random ^= _random << 13;
        _random ^= _random >> 7;
        _random ^= _random << 17;
        return (int)(_random % (ulong)StoredContacts);
    }
}
