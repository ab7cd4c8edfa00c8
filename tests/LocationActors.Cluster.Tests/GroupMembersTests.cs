using Akka.Actor;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.LocDb;
using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

/// <summary>p_usrloc's member rules as a group applies them: traffic, errors, probes, resyncs, read order; no actor system, no database.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class GroupMembersTests
{
    private const long Stamp = 1_767_225_600;

    private static LocDbRow Row(int no, LocDbStatus status = LocDbStatus.On, long failover = LocDbRow.ZeroTime, int errors = 0, string? url = null) =>
        new(1, no, url ?? $"mysql://u:p@127.0.0.1/member{no}", status, errors, failover, false, no);

    /// <summary>Applies a layout and joins every member it lets in, each with a handle of its own.</summary>
    private static MembersChange Apply(GroupMembers members, bool serving, params LocDbRow[] rows)
    {
        var change = members.Apply(rows);
        foreach (var (member, _) in change.Leaving)
            members.Leave(member);
        foreach (var member in change.Joining)
            members.Join(member, new Handle($"member-{member.No}-{Guid.NewGuid():N}"), serving);
        return change;
    }

    [Fact]
    public void The_first_rows_that_are_on_take_traffic_and_later_rows_are_spares()
    {
        var members = new GroupMembers(membersPerGroup: 2);

        var change = Apply(members, false, Row(1), Row(2, LocDbStatus.Maintenance), Row(3));

        Assert.Equal([1], change.Joining.Select(m => m.No));
        Assert.Equal([1], members.ActiveNumbers);
        Assert.False(members.TakesTraffic(3)); // a spare while rows 1 and 2 exist
        Assert.All(members.Active, m => Assert.False(m.MissedWrites)); // the group was not serving yet
    }

    [Fact]
    public void A_member_switched_off_or_moved_leaves_traffic_and_a_moved_one_rejoins_with_its_new_url()
    {
        var members = new GroupMembers(2);
        Apply(members, false, Row(1), Row(2));

        var off = Apply(members, true, Row(1), Row(2, LocDbStatus.Off));
        Assert.Equal([2], off.Leaving.Select(l => l.Member.No));
        Assert.Equal([1], members.ActiveNumbers);

        var moved = Apply(members, true, Row(1, url: "mysql://u:p@127.0.0.1/elsewhere"), Row(2, LocDbStatus.Off));
        Assert.Equal("mysql://u:p@127.0.0.1/member1", Assert.Single(moved.Leaving).Before.Url);
        Assert.Equal([1], moved.Joining.Select(m => m.No));
        Assert.True(members.ActiveMember(1)!.MissedWrites); // it joined a serving group: it is brought up to date
        Assert.True(members.ActiveMember(1)!.NeedsResync);
    }

    [Fact]
    public void Errors_are_counted_below_the_threshold_and_the_one_that_reaches_it_keeps_the_member_out_until_locdb_changes()
    {
        var members = new GroupMembers(2);
        Apply(members, true, Row(1, failover: Stamp, errors: 1), Row(2));

        Assert.Equal(new ErrorCount(true, false, 2), members.CountError(1, threshold: 3));
        Assert.Equal(new ErrorCount(true, true, 3), members.CountError(1, threshold: 3));
        Assert.Equal(default, members.CountError(9, threshold: 3)); // not a member taking traffic
        var member = members.ActiveMember(1)!;
        Assert.Equal(Stamp, member.TurnedOffAt);
        members.Leave(member);

        // locdb has not been written yet (the master is slow): the row still says on with the old stamp.
        Assert.Empty(Apply(members, true, Row(1, failover: Stamp, errors: 2), Row(2)).Joining);
        Assert.Equal([1], members.StartProbes().Select(m => m.No));
        Assert.Empty(members.StartProbes()); // one probe in flight at a time
        members.ProbeDone(1);

        // locdb shows the turn-off, then the member is switched on again: it rejoins with locdb's count.
        Apply(members, true, Row(1, LocDbStatus.Off, Stamp + 1, errors: 3), Row(2));
        Assert.Null(member.TurnedOffAt);
        Apply(members, true, Row(1, failover: Stamp + 2, errors: 0), Row(2));
        Assert.Equal(0, members.ActiveMember(1)!.Errors);
    }

    [Fact]
    public void A_count_of_ours_not_yet_in_locdb_is_kept_over_a_lower_one_from_locdb()
    {
        var members = new GroupMembers(2);
        Apply(members, true, Row(1), Row(2));
        members.CountError(1, 10);
        members.CountError(1, 10);

        Apply(members, true, Row(1, errors: 1), Row(2));

        Assert.Equal(2, members.ActiveMember(1)!.Errors);
    }

    [Fact]
    public void Writes_wait_for_every_active_member_but_one_whose_copy_is_under_way()
    {
        var members = new GroupMembers(2);
        Apply(members, false, Row(1), Row(2));
        var (first, second) = (members.ActiveMember(1)!, members.ActiveMember(2)!);
        members.MissedWrite(second);
        members.StartResync(second);
        Assert.Equal([1, 2], members.AwaitedNumbers); // its database has not answered yet

        members.CopyBegan(second);
        Assert.Equal([1], members.AwaitedNumbers);
        members.MissedWrite(first);
        members.StartResync(first);
        members.CopyBegan(first);
        Assert.Equal([1, 2], members.AwaitedNumbers); // every member copied to: writes wait for them all

        members.ResyncFailed(first);
        members.CompleteResync(second);
        Assert.Equal([1, 2], members.AwaitedNumbers);
        members.CopyBegan(second); // no copy in flight: nothing changes
        Assert.Equal([1, 2], members.AwaitedNumbers);
    }

    [Fact]
    public void A_member_that_missed_a_write_during_its_resync_needs_another_one()
    {
        var members = new GroupMembers(2);
        Apply(members, false, Row(1), Row(2));
        var member = members.ActiveMember(2)!;

        Assert.True(members.MissedWrite(member)); // news: it held everything
        Assert.False(members.MissedWrite(member));
        Assert.Equal([2], members.NeedingResync().Select(m => m.No));
        var run = members.StartResync(member);
        Assert.Empty(members.NeedingResync());
        members.MissedWrite(member); // the copy under way may have been taken before this write

        Assert.Equal((LocDbRow.ZeroTime, run), members.CompleteResync(member));
        Assert.True(member.NeedsResync);
        members.StartResync(member);
        members.CompleteResync(member);
        Assert.False(member.NeedsResync);
        Assert.True(members.AllHoldEverything);
        Assert.Null(members.CompleteResync(member)); // none in flight
    }

    [Fact]
    public void A_member_whose_failover_is_stamped_is_recovering_until_a_resync_covers_that_stamp()
    {
        var members = new GroupMembers(2);
        Apply(members, false, Row(1), Row(2, failover: Stamp));
        var member = members.ActiveMember(2)!;
        Assert.True(member.IsRecovering);
        Assert.False(members.MissedWrite(member)); // known already: not news for locdb

        members.StartResync(member);
        members.CompleteResync(member);
        Assert.False(member.IsRecovering);

        Apply(members, true, Row(1), Row(2, failover: Stamp + 60)); // off and on again since
        Assert.True(member.IsRecovering);
    }

    [Fact]
    public void A_resync_compares_with_a_member_that_holds_what_memory_holds()
    {
        var members = new GroupMembers(3);
        Apply(members, false, Row(1), Row(2), Row(3, failover: Stamp)); // 3 was switched on again: it may lack writes
        members.AllMissedExcept(loadedFrom: 2); // after a takeover, loaded from 2

        Assert.Equal(2, members.CompleteOtherThan(1)!.No);
        Assert.Null(members.CompleteOtherThan(2)); // 1 missed writes, 3 is recovering
        Assert.Equal([1, 3], members.CatchingUpNumbers); // both are copied to before they are readable
        members.MissedWrite(members.ActiveMember(2)!);
        Assert.Null(members.CompleteOtherThan(1)); // nobody is known to hold exactly what memory holds: copy everything
    }

    [Fact]
    public void Reads_and_catch_ups_prefer_the_oldest_failover_and_members_that_hold_everything()
    {
        var members = new GroupMembers(3);
        Apply(members, false, Row(1, failover: Stamp), Row(2), Row(3, failover: Stamp - 10));

        Assert.Equal([2, 3, 1], members.InReadOrder().Select(m => m.No));
        Assert.Equal(2, members.ReadSource(except: null)!.No);
        Assert.Equal(3, members.ReadSource(except: 2)!.No);
        // A member that is not recovering is the better source; recovering ones follow in read order.
        Assert.Equal(2, members.CatchUpSource(returning: 1)!.No);
        Assert.Equal(3, members.CatchUpSource(returning: 2)!.No);
        Assert.Equal([3, 1], members.WarmUpCandidates(after: 2).Select(m => m.No));

        members.MissedWrite(members.ActiveMember(2)!);
        Assert.Equal(3, members.ReadSource(except: null)!.No); // one that holds everything first
        Assert.Equal(3, members.CatchUpSource(returning: 1)!.No);
        members.MissedWrite(members.ActiveMember(3)!);
        members.MissedWrite(members.ActiveMember(1)!);
        Assert.Equal(2, members.ReadSource(except: null)!.No); // none does: read order, as p_usrloc reads a recovering member
        Assert.Null(members.CatchUpSource(returning: 1));
    }

    [Fact]
    public void A_new_handle_for_a_serving_member_drops_its_resync_and_copies_the_group_again()
    {
        var members = new GroupMembers(2);
        Apply(members, false, Row(1), Row(2));
        var member = members.ActiveMember(2)!;
        members.StartResync(member);
        var replacement = new Handle("member-2-new");

        members.ReplaceHandle(member, replacement, serving: true);

        Assert.Same(member, members.WithHandle(replacement));
        Assert.Null(member.Resync);
        Assert.True(member.NeedsResync);
    }

    [Fact]
    public void Only_a_member_that_takes_traffic_can_be_sent_to()
    {
        var members = new GroupMembers(2);
        Apply(members, false, Row(1), Row(2, LocDbStatus.Off));
        var change = members.Apply([Row(1), Row(2)]);

        Assert.Throws<InvalidOperationException>(() => change.Joining.Single().Send("write"));
    }

    /// <summary>A handle's identity, which is all the member rules look at.</summary>
    private sealed class Handle(string name) : MinimalActorRef
    {
        public override ActorPath Path { get; } = new RootActorPath(new Address("akka", "test")) / name;

        public override IActorRefProvider Provider => throw new NotSupportedException();
    }
}
