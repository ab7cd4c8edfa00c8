using System.Globalization;
using Akka.Cluster.Sharding;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>
/// Routes every <see cref="IGroupMessage"/> to the entity of its group: the entity id is <c>table/group</c>, e.g.
/// <c>location/2</c>, or <c>cfa/0</c> for a single domain.
/// </summary>
public sealed class GroupMessageExtractor() : HashCodeMessageExtractor(ClusterConstants.NumberOfShards)
{
    // Ids that cannot name a group are not routed at all: with remember-entities a bad id would be kept for good.
    public override string? EntityId(object message) =>
        message is IGroupMessage { GroupId: >= 0, Table: { Length: > 0 } table } m && !table.Contains('/') ? EntityIdOf(table, m.GroupId) : null;

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
