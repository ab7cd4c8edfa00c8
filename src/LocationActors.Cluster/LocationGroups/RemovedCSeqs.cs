using LocationActors.Domain.Contacts;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>
/// The CSeq of each REGISTER that removed a contact, per AOR and Call-ID, kept for a while against older copies that
/// arrive late. A copy of a REGISTER can arrive after a later one of the same Call-ID: the proxy sends a request again
/// when an attempt goes unanswered, and copies travelling through different nodes overtake each other. A binding's
/// CSeq orders them while it exists; once a REGISTER removed it, only this record does, so an older copy cannot bring
/// the removed contact back (a chaos run saw exactly that).
/// </summary>
public sealed class RemovedCSeqs
{
    /// <summary>How long a removal's CSeq is kept: long past any copy in flight (the proxy gives up after 25 s).</summary>
    public const long KeepSeconds = 120;

    private readonly Dictionary<(string Key, string CallId), (int CSeq, long At)> _removed = new();

    public int Count => _removed.Count;

    /// <summary>The CSeq that removed a contact of this AOR and Call-ID, when <paramref name="cseq"/> is older than it.</summary>
    public int? Overtaken(string key, string callId, int cseq) =>
        _removed.TryGetValue((key, callId), out var removed) && cseq < removed.CSeq ? removed.CSeq : null;

    /// <summary>
    /// Records the removal of <paramref name="gone"/> by a REGISTER of <paramref name="callId"/> and
    /// <paramref name="cseq"/>: under the removed binding's Call-ID, with the later of the two CSeqs when they share it.
    /// </summary>
    public void Removed(string key, ContactBinding gone, string callId, int cseq, long now)
    {
        var removedAt = gone.CallId == callId ? Math.Max(gone.CSeq, cseq) : gone.CSeq;
        var tombstone = (key, gone.CallId);
        if (!_removed.TryGetValue(tombstone, out var before) || before.CSeq < removedAt)
            _removed[tombstone] = (removedAt, now);
    }

    /// <summary>Forgets removals older than <see cref="KeepSeconds"/>.</summary>
    public void Expire(long now)
    {
        foreach (var old in _removed.Where(t => t.Value.At < now - KeepSeconds).Select(t => t.Key).ToList())
            _removed.Remove(old);
    }
}
