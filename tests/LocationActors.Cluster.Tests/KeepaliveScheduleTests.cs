using LocationActors.Cluster.LocationGroups;
using LocationActors.Cluster.ProxyLinks;
using LocationActors.Domain.Registrations;
using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

/// <summary>Which contacts a group pings when, when it gives up on one, and which proxy pings what: without Akka.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class KeepaliveScheduleTests
{
    private static readonly KeepaliveSettings Every30s = new(TimeSpan.FromSeconds(30), MaxMissed: 3, MaxRate: 100);

    private static PingTarget Target(string ruid, string? socket = null) => new(ruid, $"aor-{ruid}", $"sip:{ruid}@192.0.2.1", null, null, socket);

    [Fact]
    public void Over_one_interval_every_AOR_comes_up_exactly_once_spread_over_its_seconds()
    {
        var contacts = new GroupContacts();
        for (var i = 0; i < 3000; i++)
            contacts.Set($"user{i}", AorBindings.FromWriteOrder([BindingFields.Sample($"user{i}")]));
        var schedule = new KeepaliveSchedule(Every30s);

        var seen = new List<string>();
        var perSecond = new List<int>();
        for (var second = 1_000L; second < 1_030; second++)
        {
            var keys = schedule.DueSlots(second).SelectMany(slot => contacts.KeysInSlot(slot, Every30s.Slots)).ToList();
            seen.AddRange(keys);
            perSecond.Add(keys.Count);
        }

        Assert.Equal(3000, seen.Count);
        Assert.Equal(3000, seen.Distinct().Count());
        Assert.InRange(perSecond.Min(), 50, 100); // 100 a second on average
        Assert.InRange(perSecond.Max(), 100, 150);
    }

    [Fact]
    public void The_second_of_an_AOR_is_the_same_in_every_process_and_a_new_schedule_starts_at_the_current_second()
    {
        Assert.Equal(GroupContacts.StableHash("alice@example.com"), GroupContacts.StableHash("alice@example.com"));
        Assert.Equal(0x550D7456u, GroupContacts.StableHash("a")); // XxHash32's published value: no per-process seed
        var schedule = new KeepaliveSchedule(Every30s);
        Assert.Equal([(int)(5_000 % 30)], schedule.DueSlots(5_000)); // a group that starts here pings nothing the old node just pinged
        Assert.Equal([(int)(5_001 % 30), (int)(5_002 % 30)], schedule.DueSlots(5_002)); // a late tick catches up
        Assert.Empty(schedule.DueSlots(5_002));
        Assert.Equal(30, schedule.DueSlots(9_000).Count); // a long pause: one interval's worth, not more
    }

    [Fact]
    public void The_rate_limit_holds_back_what_is_beyond_it_for_the_next_seconds()
    {
        var schedule = new KeepaliveSchedule(Every30s);
        var batches = schedule.Take(Enumerable.Range(0, 250).Select(i => Target($"r{i}")), seconds: 1, batchSize: 40);
        Assert.Equal(100, batches.Sum(b => b.Targets.Count));
        Assert.All(batches, b => Assert.True(b.Targets.Count <= 40));
        Assert.Equal(150, schedule.Backlog);
        Assert.Equal(4000, batches[0].ReplyWithinMs);
        Assert.Equal(100, schedule.Take([], seconds: 1, batchSize: 40).Sum(b => b.Targets.Count));
        Assert.Equal(50, schedule.Take([], seconds: 1, batchSize: 40).Sum(b => b.Targets.Count));
        Assert.Equal(0, schedule.Backlog);
    }

    [Fact]
    public void A_contact_is_dropped_after_max_missed_unanswered_pings_in_a_row_and_an_answer_or_a_REGISTER_starts_the_count_over()
    {
        var schedule = new KeepaliveSchedule(Every30s);
        IReadOnlyList<(string Ruid, string Aor)> Round(bool answers, string ruid = "r1")
        {
            var batch = schedule.Take([Target(ruid)], 1, 10).Single();
            return schedule.Answered(answers ? new PingsAnswered(batch.Batch, [ruid], []) : new PingsAnswered(batch.Batch, [], [ruid]));
        }

        Assert.Empty(Round(answers: false));
        Assert.Empty(Round(answers: false));
        Assert.Empty(Round(answers: true)); // answered: two misses forgotten
        Assert.Empty(Round(answers: false));
        Assert.Empty(Round(answers: false));
        schedule.Forget("r1"); // written again by a REGISTER
        Assert.Empty(Round(answers: false));
        Assert.Empty(Round(answers: false));
        Assert.Equal([("r1", "aor-r1")], Round(answers: false));
        Assert.Equal(0, schedule.Missing);

        // An answer about a ping this group did not send (one from before it started on this node) counts for nothing.
        Assert.Empty(schedule.Answered(new PingsAnswered(99, [], ["r7"])));
        // Pings no proxy could send count neither way.
        var unsent = schedule.Take([Target("r2")], 1, 10).Single();
        schedule.NotSent(new PingsNotSent(unsent.Batch, ["r2"]));
        Assert.Empty(schedule.Answered(new PingsAnswered(unsent.Batch, [], ["r2"])));
        Assert.Equal(0, schedule.Missing);
    }

    [Theory]
    [InlineData("sip:a@192.0.2.1:5060", null, null, true)]
    [InlineData("sip:a@192.0.2.1:5060;transport=udp", null, null, true)]
    [InlineData("sip:a@192.0.2.1:5060;transport=tcp", null, null, false)]
    [InlineData("sips:a@192.0.2.1:5061", null, null, false)]
    [InlineData("sip:a@10.0.0.7:5060;transport=tcp", "sip:198.51.100.7:4000", null, true)] // received says how it really came
    [InlineData("sip:a@10.0.0.7:5060", "sip:198.51.100.7:4000;transport=tcp", null, false)]
    [InlineData("sip:a@10.0.0.7:5060;transport=tcp", null, "<sip:edge.example.com;lr>", true)] // the edge relays it
    [InlineData("sip:a@10.0.0.7:5060", null, "<sip:edge.example.com;transport=tcp;lr>,<sip:core;lr>", false)]
    public void Only_what_can_be_pinged_over_UDP_is_pinged(string contact, string? received, string? path, bool pingable) =>
        Assert.Equal(pingable, KeepaliveSchedule.Pingable(BindingFields.Sample("a") with { Contact = contact, Received = received, Path = path }));

    [Fact]
    public void The_proxy_that_owns_a_contacts_socket_pings_it_the_others_in_turn_and_a_silent_proxy_is_forgotten()
    {
        var now = DateTime.UtcNow;
        var leases = new ProxyLeases<string>(TimeSpan.FromSeconds(15));
        Assert.Empty(leases.Assign([Target("r0")]));
        Assert.True(leases.Renew("p1", "P1", ["udp:127.0.0.1:5060"], false, now));
        Assert.True(leases.Renew("p2", "P2", ["udp:127.0.0.1:5070"], true, now));
        Assert.True(leases.Renew("http-only", "H", [], false, now)); // no SIP socket: never pings
        Assert.False(leases.Renew("p1", "P1", ["udp:127.0.0.1:5060"], false, now + TimeSpan.FromSeconds(10)));
        Assert.True(leases.AnyWantsChanges);
        Assert.Equal(["P2"], leases.FeedReaders);

        var assigned = leases.Assign([Target("a", "udp:127.0.0.1:5070"), Target("b", "udp:127.0.0.1:5070"), Target("c"), Target("d"),
            Target("e", "udp:10.9.9.9:5060")]).ToDictionary(a => a.Proxy, a => a.Targets.Select(t => t.Ruid).ToList());
        Assert.Equal(["P1", "P2"], assigned.Keys.Order());
        Assert.Contains("a", assigned["P2"]);
        Assert.Contains("b", assigned["P2"]);
        Assert.Equal(5, assigned.Values.Sum(v => v.Count));
        Assert.InRange(assigned["P1"].Count, 1, 2); // c, d, e in turn

        Assert.Equal(["p2", "http-only"], leases.Expire(now + TimeSpan.FromSeconds(20)).Order().Reverse());
        Assert.False(leases.AnyWantsChanges);
        Assert.Equal(["P1"], leases.Assign([Target("a", "udp:127.0.0.1:5070")]).Select(a => a.Proxy));
    }
}
