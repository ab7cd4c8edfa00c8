using LocationActors.Cluster.LocationGroups;
using LocationActors.Storage;

namespace LocationActors.Cluster.ClusterConfig;

/// <summary>Where <c>locdb</c> lives and how often it is read.</summary>
/// <param name="MasterUrl">The master database.</param>
/// <param name="Table">The <c>locdb</c> table name.</param>
/// <param name="Storage">Timeouts and time zone.</param>
/// <param name="PollInterval">How often <c>locdb</c> is read; an operator's status change reaches the groups within it.</param>
/// <param name="Domains">The usrloc domains (tables); default: <c>location</c> partitioned over the groups.</param>
/// <param name="FailoverLevel">p_usrloc's failover_level: 1 turns a failed member off; 2 first swaps in a spare from another risk group.</param>
/// <param name="ReadUrl">
/// Where <c>locdb</c> is read (p_usrloc's <c>read_db_url</c>, e.g. a replica of the master); null: the master. Changes
/// are always written to the master (<c>write_db_url</c>).
/// </param>
public sealed record ClusterConfigSettings(DatabaseUrl MasterUrl, string Table = "locdb", StorageOptions? Storage = null, TimeSpan? PollInterval = null,
    IReadOnlyList<UsrlocDomain>? Domains = null, int FailoverLevel = 1, DatabaseUrl? ReadUrl = null)
{
    public TimeSpan Poll => PollInterval ?? TimeSpan.FromSeconds(3);

    public IReadOnlyList<UsrlocDomain> UsrlocDomains => Domains ?? [new UsrlocDomain(UsrlocDomain.DefaultTable, DomainKind.Cluster)];
}
