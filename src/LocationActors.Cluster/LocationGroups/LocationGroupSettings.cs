using LocationActors.Domain.Registrations;
using LocationActors.Storage;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>When a write counts as stored, so the caller hears success.</summary>
public enum WritePolicy
{
    /// <summary>Every member that takes traffic stored it (a failing member is counted and, once off, excluded).</summary>
    AllActive,

    /// <summary>More than half of them stored it.</summary>
    Majority,

    /// <summary>At least one stored it.</summary>
    One,
}

/// <summary>What every location group of a node shares (read from the node's HOCON).</summary>
/// <param name="Registrar">Matching mode, max contacts, CSeq retransmission window.</param>
/// <param name="MembersPerGroup">The first rows of a group by <c>no</c> that take traffic; later rows are spares.</param>
/// <param name="Storage">How member databases are reached (time zone, timeouts, batch sizes).</param>
/// <param name="Table">The partitioned usrloc table (<c>location</c>).</param>
/// <param name="ExpiryInterval">How often expired contacts are removed from memory and from the members.</param>
/// <param name="StashLimit">Requests held while the group loads its contacts; beyond it they are answered "busy".</param>
/// <param name="MaxBatchRows">Most rows a member database handle combines into one batch.</param>
/// <param name="WarmUpRetry">Wait before trying to load the contacts again when no member could be read.</param>
/// <param name="ErrorThreshold">Counted database errors after which a member is turned off (p_usrloc <c>db_err_threshold</c>).</param>
/// <param name="RetryInterval">How often a member that is off is probed to turn it on again (p_usrloc <c>db_retry_interval</c>).</param>
/// <param name="WritePolicy">When a write counts as stored. Members that missed a write it counted without are resynchronised when they return.</param>
/// <param name="SharedDatabases">Other writers (Kamailio) share the databases: read an AOR's rows before each lookup and change of it.</param>
/// <param name="StatementDeadline">
/// A member's statement that requests wait on and that has not answered by then fails the member as a timeout would.
/// </param>
/// <param name="Keepalive">Whether and how the group pings its contacts (off by default).</param>
public sealed record LocationGroupSettings(
    RegistrarSettings Registrar,
    int MembersPerGroup = 2,
    StorageOptions? Storage = null,
    string Table = "location",
    TimeSpan? ExpiryInterval = null,
    int StashLimit = 10_000,
    int MaxBatchRows = 1000,
    TimeSpan? WarmUpRetry = null,
    int ErrorThreshold = 50,
    TimeSpan? RetryInterval = null,
    WritePolicy WritePolicy = WritePolicy.AllActive,
    bool SharedDatabases = false,
    TimeSpan? StatementDeadline = null,
    KeepaliveSettings? Keepalive = null)
{
    public KeepaliveSettings KeepaliveSettings => Keepalive ?? KeepaliveSettings.Off;

    public TimeSpan Watch => RetryInterval ?? TimeSpan.FromSeconds(10);

    public StorageOptions StorageOptions => Storage ?? StorageOptions.Default;

    public TimeSpan Expiry => ExpiryInterval ?? TimeSpan.FromSeconds(30);

    public TimeSpan Retry => WarmUpRetry ?? TimeSpan.FromSeconds(2);
}
