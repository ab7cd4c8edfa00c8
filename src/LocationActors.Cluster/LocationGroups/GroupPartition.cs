using LocationActors.Domain.Partitioning;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>
/// Which messages and AORs belong to one location group: its table and id, and p_usrloc's partition of the users
/// over the group count N (CRC32 of the AOR mod N + 1). N is fixed at the group's first layout, as p_usrloc fixes it
/// per process: a new N re-partitions every user, so it takes a restart.
/// </summary>
public sealed class GroupPartition(int groupId, string table)
{
    public int GroupId => groupId;

    public string Table => table;

    /// <summary>N, once the first layout gave it; 0 before.</summary>
    public int GroupCount { get; private set; }

    /// <summary>Takes N from a layout: the first one fixes it. False when a later one gives another N (it is not taken).</summary>
    public bool Fix(int groupCount)
    {
        if (GroupCount == 0)
            GroupCount = groupCount;
        return GroupCount == groupCount;
    }

    public bool IsMine(IGroupMessage message) => message.GroupId == groupId && message.Table == table;

    /// <summary>For this group and about an AOR of its partition.</summary>
    public bool IsForMe(IWithAor message) => IsMine(message) && Owns(message.Aor.Value);

    /// <summary>Whether an AOR key is this group's: every key is, in a single (unpartitioned) domain.</summary>
    public bool Owns(string key)
    {
        if (groupId == UsrlocDomain.SingleGroupId)
            return true;
        try
        {
            return Partitioner.GroupOf(key, GroupCount) == groupId;
        }
        catch (InvalidPartitionKeyException)
        {
            return false;
        }
    }

    /// <summary>The answer to a request that reached the wrong group.</summary>
    public RequestRejected Misrouted(IWithGroupId message) => !IsMine(message)
        ? new RequestRejected(message.RequestId, $"request for {message.Table} group {message.GroupId} reached {table} group {groupId}")
        : new RequestRejected(message.RequestId, $"AOR {(message as IWithAor)?.Aor} does not belong to group {groupId} of {GroupCount}");
}
