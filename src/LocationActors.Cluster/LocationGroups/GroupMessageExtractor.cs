using System.Globalization;
using Akka.Cluster.Sharding;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>Routes every <see cref="IGroupMessage"/> to the entity of its group; the entity id is the locdb group id.</summary>
public sealed class GroupMessageExtractor() : HashCodeMessageExtractor(ClusterConstants.NumberOfShards)
{
    public override string? EntityId(object message) =>
        message is IGroupMessage m ? m.GroupId.ToString(CultureInfo.InvariantCulture) : null;
}
