namespace LocationActors.Cluster.ProxyLinks;

/// <summary>
/// The proxies a node knows, each for as long as its last <see cref="ProxyAnnounce"/> lasts, and which one pings a
/// contact: the proxy that owns the socket the contact registered through (its NAT binding is towards that socket),
/// otherwise the proxies in turn. No actor: <see cref="ProxyLinks"/> holds one.
/// </summary>
/// <typeparam name="TRef">What a proxy is sent through (an actor ref; a string in tests).</typeparam>
public sealed class ProxyLeases<TRef>(TimeSpan lease) where TRef : class
{
    private sealed record Lease(TRef Ref, IReadOnlyList<string> Sockets, bool WantsChanges, DateTime Until);

    private readonly Dictionary<string, Lease> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _socketOwner = new(StringComparer.OrdinalIgnoreCase);
    private uint _turn;

    public int Count => _byPath.Count;

    /// <summary>Whether any proxy has a change feed reader.</summary>
    public bool AnyWantsChanges => _byPath.Values.Any(l => l.WantsChanges);

    /// <summary>The proxies with a change feed reader.</summary>
    public IEnumerable<TRef> FeedReaders => _byPath.Values.Where(l => l.WantsChanges).Select(l => l.Ref);

    /// <summary>Takes or renews a proxy's lease; true when the proxy is new to this node.</summary>
    public bool Renew(string path, TRef reference, IReadOnlyList<string> sockets, bool wantsChanges, DateTime now)
    {
        var isNew = !_byPath.ContainsKey(path);
        _byPath[path] = new Lease(reference, sockets, wantsChanges, now + lease);
        foreach (var socket in sockets)
            _socketOwner[socket] = path;
        return isNew;
    }

    /// <summary>Forgets proxies whose lease ran out; returns their paths.</summary>
    public IReadOnlyList<string> Expire(DateTime now)
    {
        var gone = _byPath.Where(p => p.Value.Until <= now).Select(p => p.Key).ToList();
        foreach (var path in gone)
            _byPath.Remove(path);
        foreach (var socket in _socketOwner.Where(s => !_byPath.ContainsKey(s.Value)).Select(s => s.Key).ToList())
            _socketOwner.Remove(socket);
        return gone;
    }

    /// <summary>The targets grouped by the proxy that pings them; empty when no proxy with a SIP socket is known.</summary>
    public IReadOnlyList<(TRef Proxy, List<PingTarget> Targets)> Assign(IEnumerable<PingTarget> targets)
    {
        var paths = _byPath.Where(p => p.Value.Sockets.Count > 0).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        if (paths.Count == 0)
            return [];
        var assigned = new Dictionary<string, List<PingTarget>>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            var path = target.Socket is { } socket && _socketOwner.TryGetValue(socket, out var owner) ? owner : paths[(int)(_turn++ % (uint)paths.Count)];
            if (!assigned.TryGetValue(path, out var list))
                assigned[path] = list = [];
            list.Add(target);
        }

        return assigned.Select(a => (_byPath[a.Key].Ref, a.Value)).ToList();
    }
}
