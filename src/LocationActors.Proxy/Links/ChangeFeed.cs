using System.Collections.Concurrent;
using System.Threading.Channels;
using LocationActors.Cluster.ProxyLinks;

namespace LocationActors.Proxy.Links;

/// <summary>
/// The change feed's readers on this proxy (<c>GET /v1/events</c>): the changes the nodes send go to each reader whose
/// AOR filter takes them. A reader that does not keep up loses changes rather than holding the proxy's memory: its
/// queue is bounded, and it is told how many it lost. The nodes send changes only while a reader is connected here.
/// </summary>
public sealed class ChangeFeed
{
    /// <summary>Items one reader may have waiting; beyond them changes are dropped for that reader and counted.</summary>
    public const int ReaderQueue = 10_000;

    private readonly ConcurrentDictionary<Reader, byte> _readers = new();
    private readonly ConcurrentDictionary<string, byte> _feedingNodes = new(StringComparer.Ordinal);

    /// <summary>Raised when the first reader comes or the last goes: the proxy tells the nodes at once.</summary>
    public event Action? DemandChanged;

    public bool HasReaders => !_readers.IsEmpty;

    /// <summary>A new reader, of every AOR (<paramref name="aors"/> null or empty) or of those only.</summary>
    public Reader Subscribe(IReadOnlyCollection<string>? aors)
    {
        var reader = new Reader(this, aors is { Count: > 0 } ? aors.ToHashSet(StringComparer.Ordinal) : null);
        var first = _readers.IsEmpty;
        _readers[reader] = 0; // before the nodes are listed: a node linked meanwhile is told to it, perhaps twice, never not at all
        foreach (var node in _feedingNodes.Keys)
            reader.Tell(FeedItem.Linked(node));
        if (first)
            DemandChanged?.Invoke();
        return reader;
    }

    /// <summary>Changes from a node: to every reader that takes them.</summary>
    public void Publish(IReadOnlyList<ContactChange> changes)
    {
        foreach (var reader in _readers.Keys)
        {
            foreach (var change in changes)
            {
                if (reader.Takes(change.Aor))
                    reader.Tell(FeedItem.Of(change));
            }
        }
    }

    /// <summary>A node confirmed it sends this proxy its changes (<paramref name="sends"/>), or that it does not any more.</summary>
    public void NodeLinked(string node, bool sends)
    {
        if (!sends)
        {
            _feedingNodes.TryRemove(node, out _);
            return;
        }

        if (!_feedingNodes.TryAdd(node, 0))
            return;
        foreach (var reader in _readers.Keys)
            reader.Tell(FeedItem.Linked(node));
    }

    private void Unsubscribe(Reader reader)
    {
        if (_readers.TryRemove(reader, out _) && _readers.IsEmpty)
            DemandChanged?.Invoke();
    }

    /// <summary>One thing a reader is told: a change, or that a node now feeds it.</summary>
    public sealed record FeedItem(ContactChange? Change, string? LinkedNode)
    {
        public static FeedItem Of(ContactChange change) => new(change, null);

        public static FeedItem Linked(string node) => new(null, node);
    }

    /// <summary>One connected reader: its queue, its filter, and how many changes it lost.</summary>
    public sealed class Reader : IDisposable
    {
        private readonly ChangeFeed _feed;
        private readonly HashSet<string>? _aors;
        private readonly Channel<FeedItem> _queue = Channel.CreateBounded<FeedItem>(
            // Wait, not DropWrite: with DropWrite TryWrite reports success for what it drops, and the loss would go uncounted.
            new BoundedChannelOptions(ReaderQueue) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        private long _lost;

        internal Reader(ChangeFeed feed, HashSet<string>? aors)
        {
            _feed = feed;
            _aors = aors;
        }

        public ChannelReader<FeedItem> Items => _queue.Reader;

        /// <summary>Changes dropped since the last call, because the queue was full.</summary>
        public long TakeLost() => Interlocked.Exchange(ref _lost, 0);

        internal bool Takes(string aor) => _aors is null || _aors.Contains(aor);

        internal void Tell(FeedItem item)
        {
            if (!_queue.Writer.TryWrite(item))
                Interlocked.Increment(ref _lost);
        }

        public void Dispose()
        {
            _queue.Writer.TryComplete();
            _feed.Unsubscribe(this);
        }
    }
}
