using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.LocDb;

namespace LocationActors.Cluster.ClusterConfig;

/// <summary>Messages of the <c>ClusterConfig</c> singleton, which mirrors <c>locdb</c>.</summary>
public interface IClusterConfigMessage;

/// <summary>A group asks for its rows (at start, and whenever it wants to be sure).</summary>
public sealed record GetGroupLayout(int GroupId, string Table = UsrlocDomain.DefaultTable) : IClusterConfigMessage;

/// <summary>
/// One group's <c>locdb</c> rows ordered by <c>no</c> (for a single domain: one row naming its database), and N. Sent in answer to
/// <see cref="GetGroupLayout"/> and pushed to the group whenever its rows change.
/// </summary>
public sealed record GroupLayout(int GroupId, int GroupCount, IReadOnlyList<LocDbRow> Rows, string Table = UsrlocDomain.DefaultTable) : IClusterConfigMessage, IGroupMessage;
