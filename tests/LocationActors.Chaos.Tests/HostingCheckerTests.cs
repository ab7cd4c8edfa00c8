using LocationActors.TestSupport;

namespace LocationActors.Chaos.Tests;

/// <summary>The double-hosting check must catch two nodes writing for one group at once, and nothing else.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class HostingCheckerTests
{
    private static readonly DateTime T0 = new(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime RunEnd = T0.AddMinutes(10);

    private static DateTime At(double seconds) => T0.AddSeconds(seconds);

    // The lines as a node's log has them (Akka's prefix, then the group's message).
    private static string Since(string group, double at) =>
        $"[INFO][12/07/2026 12:00:00.000Z][Thread 0012][akka.tcp://location@127.0.0.1:34053/system/sharding/location-groups/x/x] group {group} stores writes from this node since {At(at):o}";

    private static string Stops(string group, double from, double to) =>
        $"[INFO][12/07/2026 12:00:00.000Z][Thread 0012][akka.tcp://location@127.0.0.1:34053/system/sharding/location-groups/x/x] group {group} stops on this node; its writes were stored from {At(from):o} to {At(to):o}";

    [Fact]
    public void A_group_handed_over_or_restarted_after_its_node_was_killed_is_not_a_finding()
    {
        var checker = new HostingChecker();
        // location/1 moves from node A to node B (A stopped it first); location/2 ran on A until A was killed at 50 s
        // and starts on C after the downing.
        checker.Read("A", [Since("location/1", 1), Stops("location/1", 1, 20), Since("location/2", 2), "unrelated line"], [At(50)], RunEnd);
        checker.Read("B", [Since("location/1", 21)], [], RunEnd);
        checker.Read("C", [Since("location/2", 68)], [], RunEnd);

        Assert.Empty(checker.Findings());
        Assert.Contains(new HostingSpan("location/2", "A", At(2), At(50)), checker.Spans);
        Assert.Contains(new HostingSpan("location/1", "B", At(21), RunEnd), checker.Spans);
    }

    [Fact]
    public void A_paused_node_that_wrote_after_the_group_started_elsewhere_is_a_finding()
    {
        var checker = new HostingChecker();
        // A paused from 10 s to 30 s: B runs the group from 25 s, and A stored one more write at 31 s before it stopped.
        checker.Read("A", [Since("location/1", 1), Stops("location/1", 1, 31)], [], RunEnd);
        checker.Read("B", [Since("location/1", 25), Stops("location/1", 25, 90)], [], RunEnd);

        var finding = Assert.Single(checker.Findings());
        Assert.Equal(("double-hosted", "location/1"), (finding.Kind, finding.User));
        Assert.Contains("from A until 12:00:31.000", finding.Detail);
        Assert.Contains("from B since 12:00:25.000", finding.Detail);
    }

    [Fact]
    public void A_node_killed_and_started_again_opens_a_new_span_and_one_that_never_stopped_lasts_to_the_end()
    {
        var checker = new HostingChecker();
        // A: the group from 1 s, killed at 40 s (no stop line), started again and the group back on it from 80 s.
        checker.Read("A", [Since("location/1", 1), Since("location/1", 80)], [At(40)], RunEnd);
        // B had it in between, and never said it stopped: as far as the log tells, it still writes at 80 s.
        checker.Read("B", [Since("location/1", 60)], [], RunEnd);

        Assert.Contains(new HostingSpan("location/1", "A", At(1), At(40)), checker.Spans);
        Assert.Contains(new HostingSpan("location/1", "A", At(80), RunEnd), checker.Spans);
        Assert.Single(checker.Findings()); // B's open span overlaps A's second one
    }
}
