using LocationActors.Cluster.ProxyLinks;
using LocationActors.Domain.Contacts;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>How a group keeps its contacts' NAT bindings open and finds the dead ones (<c>location.keepalive</c>).</summary>
/// <param name="Interval">How often each contact is pinged; zero: keepalive is off. Whole seconds.</param>
/// <param name="MaxMissed">Unanswered pings in a row after which a contact is removed.</param>
/// <param name="MaxRate">Most pings a group sends in a second; the rest wait for the next seconds.</param>
/// <param name="ReplyTimeout">How long a proxy waits for a ping's answer; shorter than the interval.</param>
public sealed record KeepaliveSettings(TimeSpan Interval, int MaxMissed = 3, int MaxRate = 1000, TimeSpan? ReplyTimeout = null)
{
    public static readonly KeepaliveSettings Off = new(TimeSpan.Zero);

    public bool Enabled => Interval > TimeSpan.Zero;

    /// <summary>The interval in whole seconds: the number of slots an interval has.</summary>
    public int Slots => Math.Max(1, (int)Interval.TotalSeconds);

    public TimeSpan ReplyWithin => ReplyTimeout ?? TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(4).Ticks, Interval.Ticks / 2));
}

/// <summary>
/// When a group pings which contact, and when a contact has missed enough pings to be removed. Each AOR has a second
/// of the interval, from a hash of its key that every process computes alike (<see cref="GroupContacts.KeysInSlot"/>),
/// and its contacts are pinged when the wall clock's second modulo the interval comes to it: the pings of a group
/// are spread over the interval, and a group that starts again on another node pings each contact no sooner than one
/// interval after the last ping from the old node. No actor: the group asks it.
/// </summary>
public sealed class KeepaliveSchedule(KeepaliveSettings settings)
{
    private readonly Queue<PingTarget> _backlog = new();
    private readonly Dictionary<string, int> _missed = new(StringComparer.Ordinal); // ruid -> unanswered pings in a row
    private readonly Dictionary<string, string> _aorOf = new(StringComparer.Ordinal); // ruid -> AOR key, of pings in flight
    private long _lastSecond = -1;
    private long _lastBatch;

    public KeepaliveSettings Settings => settings;

    /// <summary>Contacts that have missed at least one ping and not answered since.</summary>
    public int Missing => _missed.Count;

    /// <summary>Pings due but held back by the rate limit.</summary>
    public int Backlog => _backlog.Count;

    /// <summary>
    /// The slots whose second came since the last call, at most one interval's worth; the first call gives only the
    /// current second's (a group that starts does not ping what the old node pinged moments ago).
    /// </summary>
    public IReadOnlyList<int> DueSlots(long nowSecond)
    {
        var from = _lastSecond < 0 ? nowSecond : Math.Max(_lastSecond + 1, nowSecond - settings.Slots + 1);
        _lastSecond = Math.Max(_lastSecond, nowSecond);
        var slots = new List<int>();
        for (var second = from; second <= nowSecond; second++)
            slots.Add((int)(second % settings.Slots));
        return slots;
    }

    /// <summary>Whether a contact can be pinged over UDP: through its Path's first hop, at its received, or at its URI.</summary>
    public static bool Pingable(ContactBinding binding)
    {
        var hop = binding.Path is { Length: > 0 } path ? path : binding.Received ?? binding.Contact;
        return !hop.Contains("sips:", StringComparison.OrdinalIgnoreCase) && FirstTransport(hop) is null or "udp";
    }

    private static string? FirstTransport(string uris)
    {
        var first = uris.Split(',')[0];
        var at = first.IndexOf(";transport=", StringComparison.OrdinalIgnoreCase);
        if (at < 0)
            return null;
        var value = first[(at + ";transport=".Length)..];
        var end = value.IndexOfAny([';', '>', '?']);
        return (end < 0 ? value : value[..end]).ToLowerInvariant();
    }

    /// <summary>Adds what is due to the backlog; returns the batches to send now, within the rate for <paramref name="seconds"/> seconds.</summary>
    public IReadOnlyList<PingContacts> Take(IEnumerable<PingTarget> due, int seconds, int batchSize)
    {
        foreach (var target in due)
            _backlog.Enqueue(target);
        var allowed = (long)settings.MaxRate * Math.Max(1, seconds);
        var batches = new List<PingContacts>();
        var batch = new List<PingTarget>();
        while (_backlog.Count > 0 && allowed-- > 0)
        {
            var target = _backlog.Dequeue();
            _aorOf[target.Ruid] = target.Aor;
            batch.Add(target);
            if (batch.Count == batchSize)
            {
                batches.Add(new PingContacts(++_lastBatch, batch, (int)settings.ReplyWithin.TotalMilliseconds));
                batch = [];
            }
        }

        if (batch.Count > 0)
            batches.Add(new PingContacts(++_lastBatch, batch, (int)settings.ReplyWithin.TotalMilliseconds));
        return batches;
    }

    /// <summary>Counts what the proxy saw; returns the contacts (ruid, AOR key) that missed too many pings and are to be removed.</summary>
    public IReadOnlyList<(string Ruid, string Aor)> Answered(PingsAnswered answered)
    {
        foreach (var ruid in answered.Answered)
        {
            _missed.Remove(ruid);
            _aorOf.Remove(ruid);
        }

        var dead = new List<(string, string)>();
        foreach (var ruid in answered.Unanswered)
        {
            if (!_aorOf.Remove(ruid, out var aor))
                continue; // not a ping of this group's life (one from before it started here)
            var missed = _missed.GetValueOrDefault(ruid) + 1;
            if (missed >= settings.MaxMissed)
            {
                _missed.Remove(ruid);
                dead.Add((ruid, aor));
            }
            else
                _missed[ruid] = missed;
        }

        return dead;
    }

    /// <summary>Pings no proxy could send: they count neither way.</summary>
    public void NotSent(PingsNotSent notSent)
    {
        foreach (var ruid in notSent.Ruids)
            _aorOf.Remove(ruid);
    }

    /// <summary>A contact written again (a REGISTER came through its NAT binding) or gone: its misses start over.</summary>
    public void Forget(string ruid)
    {
        _missed.Remove(ruid);
        _aorOf.Remove(ruid);
    }
}
