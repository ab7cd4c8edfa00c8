namespace LocationActors.Cluster;

/// <summary>
/// A request the location cluster answers, to a group or to the gateway; the reply names its <see cref="RequestId"/>.
/// A proxy numbers what it sends with ids of its own (<see cref="WithRequestId"/>), so that a reply, a late one or
/// one to a copy sent again, finds the caller waiting for it.
/// </summary>
public interface IClusterRequest
{
    long RequestId { get; }

    /// <summary>The same request under another id.</summary>
    IClusterRequest WithRequestId(long requestId);
}
