namespace LocationActors.Cluster.ProxyLinks;

/// <summary>
/// Whether any proxy linked to this node reads the change feed: set by the node's <see cref="ProxyLinks"/>, read by
/// every group on the node before it builds a change, so a cluster without feed readers pays nothing for the feed.
/// </summary>
public sealed class ChangeFeedDemand
{
    private volatile bool _wanted;

    public bool Wanted
    {
        get => _wanted;
        set => _wanted = value;
    }
}
