using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Encoding;
using LocationActors.Domain.LocDb;
using LocationActors.Domain.Registrations;
using LocationActors.Proxy.Configuration;
using LocationActors.Proxy.Metrics;
using LocationActors.Storage;
using Microsoft.Extensions.Logging;

namespace LocationActors.Proxy.Service;

/// <summary>
/// p_usrloc's read path, for the moments the cluster cannot answer a lookup in time: while a dead node is being
/// downed (failure detection, the split brain resolver's decision) its groups answer nobody, for any group size. Then
/// the proxy reads the AOR's rows from the group's member itself, in p_usrloc's read order, as every Kamailio does on
/// every request. It reads <c>locdb</c> from the master with credentials of its own (the cluster never hands out
/// member passwords), at most every few seconds and only when it needs to; the members per group and the zone of the
/// DATETIME columns come from the cluster. Off when no master URL is configured. Reads only: changes wait for the group.
/// </summary>
public sealed class MemberReads(MemberReadOptions options, ILogger<MemberReads> log)
{
    /// <summary>How long locdb's rows are used before they are read again.</summary>
    private static readonly TimeSpan LocDbMaxAge = TimeSpan.FromSeconds(2);

    // Short timeouts: the caller is already waiting, and another member may answer. Few connections per member: member
    // reads start in a burst (every lookup of a group whose node just died), and a hundred connections opened at once
    // timed out on a busy server where a few, each reused within a millisecond, serve them all.
    private static readonly StorageOptions Storage = new() { ConnectTimeout = TimeSpan.FromSeconds(1), CommandTimeout = TimeSpan.FromSeconds(2), MaxPoolSize = 8 };

    private readonly SemaphoreSlim _locDbRead = new(1, 1);
    private volatile LocDbRead? _locDb;

    public bool Enabled => options.MasterDbUrl is not null;

    /// <summary>How long a lookup waits for the cluster before it reads a member.</summary>
    public TimeSpan After => options.After;

    /// <summary>The AOR's valid contacts as the group's first readable member holds them; null when none could be read.</summary>
    public async Task<LookupResult?> LookupAsync(MemberReading reading, string table, int groupId, Aor aor, uint? methodBit, CancellationToken ct)
    {
        if (await LocDbRowsAsync(ct) is not { } rows)
            return null;
        var storage = Storage with { Times = DbTimeCodec.ForZone(reading.TimeZone) };
        foreach (var member in LocDbLayout.FromRows(rows, reading.MembersPerGroup).ReadOrderOf(groupId))
        {
            try
            {
                // A handle per read: the connection comes from (and goes back to) the driver's pool.
                await using var database = new LocationDatabase(DatabaseUrl.Parse(member.Url), storage, table);
                var bindings = await database.LoadAorAsync(aor.Username, aor.Domain, ct);
                ProxyMetrics.MemberRead("answered");
                return new LookupResult(0, aor, AorBindings.FromWriteOrder(bindings).Lookup(DateTimeOffset.UtcNow.ToUnixTimeSeconds(), methodBit));
            }
            catch (StorageException e)
            {
                ProxyMetrics.MemberRead("failed");
                log.LogWarning("group {Group}: reading {Aor} from member {No} failed: {Error}", groupId, aor.Value, member.No, e.Message);
            }
        }

        return null;
    }

    /// <summary>locdb's rows, read again when older than a few seconds; the last good ones while the master cannot be read.</summary>
    private async Task<IReadOnlyList<LocDbRow>?> LocDbRowsAsync(CancellationToken ct)
    {
        if (options.MasterDbUrl is not { } url)
            return null;
        if (_locDb is { } fresh && DateTime.UtcNow - fresh.At < LocDbMaxAge)
            return fresh.Rows;
        await _locDbRead.WaitAsync(ct);
        try
        {
            if (_locDb is { } read && DateTime.UtcNow - read.At < LocDbMaxAge)
                return read.Rows;
            await using var master = new MasterDatabase(url, Storage, options.LocDbTable);
            var rows = await master.ReadAllAsync(ct);
            _locDb = new LocDbRead(rows, DateTime.UtcNow);
            return rows;
        }
        catch (StorageException e)
        {
            log.LogWarning("reading locdb from the master for a member read failed: {Error}", e.Message);
            return _locDb?.Rows;
        }
        finally
        {
            _locDbRead.Release();
        }
    }

    private sealed record LocDbRead(IReadOnlyList<LocDbRow> Rows, DateTime At);
}
