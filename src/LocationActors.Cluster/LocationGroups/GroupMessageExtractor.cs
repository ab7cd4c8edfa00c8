using System.Globalization;
using Akka.Cluster.Sharding;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>
/// Routes every <see cref="IGroupMessage"/> to the entity of its group: the entity id is <c>table/group</c>, e.g.
/// <c>location/2</c>, or <c>cfa/0</c> for a single domain. Each group is a shard of its own: sharding balances shards,
/// so groups spread evenly over the nodes (six groups on three nodes: two each) — hashed into shared shards, two
/// groups could land in one shard and move together, and no rebalance could even them out.
/// </summary>
public sealed class GroupMessageExtractor : IMessageExtractor
{
    // Ids that cannot name a group are not routed at all: with remember-entities a bad id would be kept for good.
    // (Sharding's own StartEntity is handled by Akka.NET before the extractor is asked.)
    public string? EntityId(object message) =>
        message is IGroupMessage { GroupId: >= 0, Table: { Length: > 0 } table } m && !table.Contains('/') ? EntityIdOf(table, m.GroupId) : null;

    public object EntityMessage(object message) => message;

    public string? ShardId(object message) => EntityId(message);

    public string ShardId(string entityId, object? messageHint = null) => entityId;

    public static string EntityIdOf(string table, int groupId) => string.Create(CultureInfo.InvariantCulture, $"{table}/{groupId}");

    /// <exception cref="FormatException">Not an id this extractor made.</exception>
    public static (string Table, int GroupId) Parse(string entityId)
    {
        var slash = entityId.LastIndexOf('/');
        return slash > 0 && int.TryParse(entityId.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var groupId)
            ? (entityId[..slash], groupId)
            : throw new FormatException($"'{entityId}' is not a location group entity id (table/group)");
    }
}
