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

    /// <summary>The same request, marked as a copy sent again after an unanswered attempt (only a REGISTER cares).</summary>
    IClusterRequest AsRepeat() => this;
}
