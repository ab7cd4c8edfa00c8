using LocationActors.Domain.Contacts;

namespace LocationActors.Storage;

/// <summary>What a shared-databases catch-up did to the returning member.</summary>
/// <param name="CompleteRows">Rows read on the complete member.</param>
/// <param name="Copied">Rows written to the returning member (missing there, or older).</param>
/// <param name="Deleted">Rows deleted from it (expired, or removed on the complete member while it was away).</param>
/// <param name="KeptNewer">Rows it keeps because its version is newer than the complete member's.</param>
/// <param name="KeptUnproven">Rows it keeps that the complete member lacks but nobody is known to have removed.</param>
/// <param name="Refused">Rows the returning member's server refused to store (they stay missing there).</param>
public sealed record CatchUpReport(long CompleteRows, long Copied, long Deleted, long KeptNewer, long KeptUnproven, long Refused)
{
    public override string ToString() =>
        $"{CompleteRows} rows read on the complete member: {Copied} copied, {Deleted} deleted, {KeptNewer} kept as newer, " +
        $"{KeptUnproven} kept as not known removed{(Refused > 0 ? $", {Refused} refused" : "")}";
}

/// <summary>
/// Brings a member that returns to traffic up to date from a complete member while other writers (Kamailio
/// p_usrloc) keep writing both, following <see cref="CatchUpRule"/>: every row of the complete member is copied
/// where the returning one lacks it or holds an older version, and a row only the returning member holds is deleted
/// only when it expired or is older than the read that found it missing. Page by page (bounded memory however large
/// the tables): each page of the complete member is compared with the same ruids on the returning one, then each page
/// of the returning member with the same ruids on the complete one. A page whose rows changed is read again on both
/// sides and compared once more, so a row another writer changed between the read and the write is not left behind
/// in an old version (or brought back after its removal): the race narrows to the moments between the last read and
/// the last write of a page. Rows kept as unproven, and stale rows replaced, are looked at again at the end, once
/// their clock margin passed (a writer slow to reach the complete member has reached it by then).
/// </summary>
public static class SharedCatchUp
{
    private const int PageRows = 500;
    private const int MaxRoundsPerPage = 3;

    /// <param name="complete">The complete member (a handle of its own for this run).</param>
    /// <param name="returning">The returning member (its owner must not run other operations on it meanwhile).</param>
    /// <param name="clock">Unix seconds now.</param>
    /// <param name="deleteRemoved">
    /// False when the source is not known to be complete either (it missed writes too): then a row only the returning
    /// member holds is kept unless it expired — a removal may come back, but no registration is lost.
    /// </param>
    public static async Task<CatchUpReport> RunAsync(LocationDatabase complete, LocationDatabase returning, Func<long> clock,
        bool deleteRemoved = true, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(complete);
        ArgumentNullException.ThrowIfNull(returning);
        ArgumentNullException.ThrowIfNull(clock);
        var tally = new Tally();
        var unproven = new HashSet<string>(StringComparer.Ordinal);
        var replaced = new HashSet<string>(StringComparer.Ordinal);

        // Everything the complete member holds: the streamed page is its side of the first comparison.
        await foreach (var page in complete.StreamAllAsync(ct).Chunk(PageRows).WithCancellation(ct))
        {
            tally.CompleteRows += page.Length;
            await SettleAsync(page.Select(b => b.Ruid).ToList(), complete, returning, clock, deleteRemoved, tally, unproven, replaced, ct, completeRead: page);
        }

        // Everything the returning member holds that the first pass did not bring into line: the streamed page is its
        // side of the first comparison.
        await foreach (var page in returning.StreamAllAsync(ct).Chunk(PageRows).WithCancellation(ct))
            await SettleAsync(page.Select(b => b.Ruid).ToList(), complete, returning, clock, deleteRemoved, tally, unproven, replaced, ct, returningRead: page);

        // Rows written while the copy ran: by now the complete member has them too, or nobody removed them yet either.
        if ((unproven.Count > 0 || replaced.Count > 0) && deleteRemoved)
        {
            await Task.Delay(TimeSpan.FromSeconds(CatchUpRule.ClockMarginSeconds + 1), ct);
            var last = unproven.Union(replaced).ToList();
            unproven.Clear();
            foreach (var chunk in last.Chunk(PageRows))
                await SettleAsync(chunk, complete, returning, clock, deleteRemoved, tally, unproven, [], ct);
        }

        return new CatchUpReport(tally.CompleteRows, tally.Copied, tally.Deleted, tally.KeptNewer.Count, unproven.Count, tally.Refused);
    }

    /// <summary>
    /// Compares these ruids on both members and applies the rule, again while a round changed something. A side
    /// already read (the page just streamed) is not read again in the first round.
    /// </summary>
    private static async Task SettleAsync(IReadOnlyCollection<string> ruids, LocationDatabase complete, LocationDatabase returning,
        Func<long> clock, bool deleteRemoved, Tally tally, HashSet<string> unproven, HashSet<string> replaced, CancellationToken ct,
        IEnumerable<ContactBinding>? completeRead = null, IEnumerable<ContactBinding>? returningRead = null)
    {
        var pending = ruids;
        for (var round = 0; round < MaxRoundsPerPage && pending.Count > 0; round++)
        {
            // The returning side first: a row another writer puts on both meanwhile is then seen on the complete side
            // (or, when the complete side was streamed before, found newer there, or put right by the next round).
            var there = round == 0 && returningRead is not null ? ByRuid(returningRead) : await returning.LoadRuidsAsync(pending, ct);
            var readAt = clock();
            var truth = round == 0 && completeRead is not null ? ByRuid(completeRead) : await complete.LoadRuidsAsync(pending, ct);
            var now = clock();
            var copies = new List<ContactBinding>();
            var deletes = new List<string>();
            foreach (var ruid in pending)
            {
                var (source, target) = (truth.GetValueOrDefault(ruid), there.GetValueOrDefault(ruid));
                unproven.Remove(ruid);
                switch (CatchUpRule.Decide(source, target, readAt, now))
                {
                    case CatchUp.Copy:
                        copies.Add(source!);
                        break;
                    case CatchUp.Delete when deleteRemoved || !target!.IsValidAt(now):
                        deletes.Add(ruid);
                        break;
                    case CatchUp.Delete:
                        unproven.Add(ruid); // the source may have missed it: kept
                        break;
                    case CatchUp.ReplaceStale when deleteRemoved:
                        copies.Add(source!);
                        replaced.Add(ruid);
                        break;
                    case CatchUp.KeepNewer or CatchUp.ReplaceStale: // the source may have missed it: kept
                        tally.KeptNewer.Add(ruid);
                        break;
                    case CatchUp.KeepUnproven:
                        unproven.Add(ruid);
                        break;
                }
            }

            if (copies.Count == 0 && deletes.Count == 0)
                return;
            tally.Deleted += await returning.DeleteByRuidAsync(deletes, ct);
            var refused = copies.Count > 0 ? await returning.UpsertAsync(copies, ct) : [];
            tally.Copied += copies.Count - refused.Count;
            tally.Refused += refused.Count;
            var refusedRuids = refused.Select(r => r.Ruid).ToHashSet(StringComparer.Ordinal);
            // Read again what was just written or deleted: another writer may have changed it in between.
            pending = copies.Select(b => b.Ruid).Where(r => !refusedRuids.Contains(r)).Concat(deletes).ToList();
        }
    }

    /// <summary>The rows by ruid; a row the stream saw twice (replaced while it ran) counts in its later version.</summary>
    private static Dictionary<string, ContactBinding> ByRuid(IEnumerable<ContactBinding> rows)
    {
        var byRuid = new Dictionary<string, ContactBinding>(StringComparer.Ordinal);
        foreach (var row in rows)
            byRuid[row.Ruid] = row;
        return byRuid;
    }

    private sealed class Tally
    {
        public long CompleteRows;
        public long Copied;
        public long Deleted;
        public readonly HashSet<string> KeptNewer = new(StringComparer.Ordinal);
        public long Refused;
    }
}
