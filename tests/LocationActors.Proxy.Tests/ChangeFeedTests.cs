using LocationActors.Cluster.ProxyLinks;
using LocationActors.Proxy.Links;
using LocationActors.TestSupport;

namespace LocationActors.Proxy.Tests;

/// <summary>The proxy's change feed: who gets which change, what a slow reader loses, when the nodes are told.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class ChangeFeedTests
{
    private static ContactChange Change(string aor, int n = 0) =>
        new(ContactChangeKind.Inserted, aor, $"ruid-{n}", $"sip:{aor}@192.0.2.1", 0, null, null, null, n, "location/1");

    [Fact]
    public void A_reader_that_does_not_keep_up_loses_what_is_beyond_its_queue_and_is_told_how_many()
    {
        var feed = new ChangeFeed();
        using var reader = feed.Subscribe(null);
        feed.Publish(Enumerable.Range(0, ChangeFeed.ReaderQueue + 25).Select(n => Change("alice", n)).ToList());

        Assert.Equal(25, reader.TakeLost());
        Assert.Equal(0, reader.TakeLost());
        var kept = 0;
        while (reader.Items.TryRead(out var item))
            Assert.Equal(kept++, item.Change!.At); // the oldest are kept, in order
        Assert.Equal(ChangeFeed.ReaderQueue, kept);
    }

    [Fact]
    public void A_filtered_reader_gets_its_AORs_only_and_the_nodes_are_told_when_the_first_reader_comes_and_the_last_goes()
    {
        var feed = new ChangeFeed();
        var told = 0;
        feed.DemandChanged += () => told++;
        feed.NodeLinked("node-a", sends: true);
        using (var all = feed.Subscribe(null))
        using (var bob = feed.Subscribe(["bob"]))
        {
            Assert.Equal(1, told);
            Assert.True(feed.HasReaders);
            feed.Publish([Change("alice"), Change("bob")]);
            Assert.Equal(["node-a", "alice", "bob"], Drain(all));
            Assert.Equal(["node-a", "bob"], Drain(bob));
            feed.NodeLinked("node-b", sends: true);
            Assert.Equal(["node-b"], Drain(bob));
        }

        Assert.Equal(2, told);
        Assert.False(feed.HasReaders);
    }

    private static List<string> Drain(ChangeFeed.Reader reader)
    {
        var items = new List<string>();
        while (reader.Items.TryRead(out var item))
            items.Add(item.LinkedNode ?? item.Change!.Aor);
        return items;
    }
}
