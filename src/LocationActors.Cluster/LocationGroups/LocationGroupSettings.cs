using LocationActors.Domain.Registrations;
using LocationActors.Storage;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>What every location group of a node shares (read from the node's HOCON).</summary>
/// <param name="Registrar">Matching mode, max contacts, CSeq retransmission window.</param>
/// <param name="MembersPerGroup">The first rows of a group by <c>no</c> that take traffic; later rows are spares.</param>
/// <param name="Storage">How member databases are reached (time zone, timeouts, batch sizes).</param>
/// <param name="Table">The partitioned usrloc table (<c>location</c>).</param>
/// <param name="ExpiryInterval">How often expired contacts are removed from memory and from the members.</param>
/// <param name="StashLimit">Requests held while the group loads its contacts; beyond it they are answered "busy".</param>
/// <param name="MaxBatchRows">Most rows a member database handle combines into one batch.</param>
/// <param name="WarmUpRetry">Wait before trying to load the contacts again when no member could be read.</param>
public sealed record LocationGroupSettings(
    RegistrarSettings Registrar,
    int MembersPerGroup = 2,
    StorageOptions? Storage = null,
    string Table = "location",
    TimeSpan? ExpiryInterval = null,
    int StashLimit = 10_000,
    int MaxBatchRows = 1000,
    TimeSpan? WarmUpRetry = null)
{
    public StorageOptions StorageOptions => Storage ?? StorageOptions.Default;

    public TimeSpan Expiry => ExpiryInterval ?? TimeSpan.FromSeconds(30);

    public TimeSpan Retry => WarmUpRetry ?? TimeSpan.FromSeconds(2);
}
