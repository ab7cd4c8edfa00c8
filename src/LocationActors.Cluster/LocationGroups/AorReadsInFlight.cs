using Akka.Actor;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>
/// Shared-databases mode: the reads of an AOR's rows a group has sent to its members and not yet had answered — who
/// waits for each, which member was asked, and how many members were tried — so that a read whose member fails it or
/// leaves traffic can be sent to another one instead of being waited for forever.
/// </summary>
public sealed class AorReadsInFlight
{
    private readonly Dictionary<long, AorReadInFlight> _reads = new();
    private long _lastToken;

    public int Count => _reads.Count;

    /// <summary>Records a read sent to member <paramref name="memberNo"/>; returns its token, which the answer names.</summary>
    public long Start(string key, IWithAor request, IActorRef sender, int memberNo, int tries)
    {
        var token = ++_lastToken;
        _reads[token] = new AorReadInFlight(key, request, sender, memberNo, tries);
        return token;
    }

    /// <summary>The read a token names, no longer in flight; null when it is not (answered already, or sent elsewhere).</summary>
    public AorReadInFlight? Take(long token) => _reads.Remove(token, out var read) ? read : null;

    /// <summary>The reads sent to member <paramref name="memberNo"/> (only <paramref name="token"/>, when given), no longer in flight.</summary>
    public IReadOnlyList<AorReadInFlight> TakeSentTo(int memberNo, long? token = null)
    {
        var taken = _reads.Where(r => r.Value.MemberNo == memberNo && (token is null || r.Key == token)).ToList();
        foreach (var (stranded, _) in taken)
            _reads.Remove(stranded);
        return taken.Select(r => r.Value).ToList();
    }
}

/// <summary>A read of an AOR's rows: who waits for it, the member asked, and how many members were tried so far.</summary>
public sealed record AorReadInFlight(string Key, IWithAor Request, IActorRef Sender, int MemberNo, int Tries);
