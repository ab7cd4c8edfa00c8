using Akka.Actor;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Registrations;
using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

/// <summary>A group's writes in flight, the requests waiting behind a busy AOR, held replies and dirty AORs; no actor, no database.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class GroupWritesTests
{
    private static readonly Domain.Contacts.ContactBinding Ann1 = BindingFields.Sample("ann", 1);
    private static readonly Domain.Contacts.ContactBinding Ann2 = BindingFields.Sample("ann", 2);

    private static RemoveAor Remove(string user, long requestId) => new(1, requestId, Aor.FromNormalized(user, RegistrarOptions.Default));

    private static PendingWrite Begin(GroupWrites writes, string key = "ann", params string[] deletes) =>
        writes.Begin(ActorRefs.Nobody, "ok", 1, key, AorBindings.Empty.Put(Ann1), [Ann1], deletes, [1, 2])!;

    [Fact]
    public void Nothing_to_write_begins_nothing_and_a_write_keeps_its_aor_busy_until_it_is_settled()
    {
        var writes = new GroupWrites();
        Assert.Null(writes.Begin(ActorRefs.Nobody, "ok", 1, "ann", AorBindings.Empty, [], [], [1, 2]));
        Assert.False(writes.IsBusy("ann"));

        var write = Begin(writes);
        Assert.True(writes.IsBusy("ann"));
        Assert.Equal(1, write.Write.Seq);
        Assert.Equal([1L], writes.AwaitingFrom(2));

        Assert.Null(writes.Settle(1, 1, null));
        Assert.Null(writes.Settle(1, 1, null)); // answered already
        Assert.Same(write, writes.Settle(1, 2, "timeout"));
        Assert.Empty(writes.InFlight);
        Assert.Empty(writes.AwaitingFrom(2));
    }

    [Fact]
    public void Requests_behind_a_busy_aor_run_in_order_and_one_that_makes_it_busy_again_holds_the_rest()
    {
        var writes = new GroupWrites();
        Assert.False(writes.WaitBehind("ann", Remove("ann", 1), ActorRefs.Nobody)); // free: runs now
        Begin(writes);
        foreach (var id in new long[] { 2, 3, 4 })
            Assert.True(writes.WaitBehind("ann", Remove("ann", id), ActorRefs.Nobody));

        var ran = new List<long>();
        writes.RunWaiting("ann", waiting =>
        {
            ran.Add(waiting.Request.RequestId);
            if (waiting.Request.RequestId == 3)
                writes.MarkBusy("ann"); // request 3 reads before it writes: 4 waits for it
        });

        Assert.Equal([2L, 3L], ran);
        ran.Clear();
        writes.RunWaiting("ann", waiting => ran.Add(waiting.Request.RequestId));
        Assert.Equal([4L], ran);
        Assert.False(writes.IsBusy("ann"));
    }

    [Fact]
    public void An_aor_a_member_missed_is_written_whole_with_every_removal_since_until_every_member_stored_it()
    {
        var writes = new GroupWrites();
        var missed = Begin(writes, "ann", "gone-1");
        writes.Settle(1, 1, null);
        writes.Settle(1, 2, "timeout");
        writes.Stored(missed, [2]);
        Assert.True(writes.IsDirty("ann"));

        // The next change of ann carries its whole state, and the removal member 2 missed.
        var next = AorBindings.Empty.Put(Ann1).Put(Ann2);
        var repair = writes.Begin(ActorRefs.Nobody, "ok", 2, "ann", next, [Ann2], ["gone-2"], [1, 2])!;
        Assert.Equal([Ann1.Ruid, Ann2.Ruid], repair.Write.Upserts.Select(b => b.Ruid).Order());
        Assert.Equal(["gone-1", "gone-2"], repair.Write.DeletedRuids.Order());

        writes.Settle(2, 1, null);
        writes.Settle(2, 2, null);
        writes.Stored(repair, []);
        Assert.False(writes.IsDirty("ann"));
    }

    [Fact]
    public void A_resync_clears_every_dirty_aor()
    {
        var writes = new GroupWrites();
        var missed = Begin(writes);
        writes.Settle(1, 1, null);
        writes.Settle(1, 2, "timeout");
        writes.Stored(missed, [2]);

        writes.AllClean();

        Assert.False(writes.IsDirty("ann"));
    }

    [Fact]
    public void A_held_reply_is_released_by_the_resync_run_that_covers_it_or_by_its_members_leaving()
    {
        var writes = new GroupWrites();
        var first = Begin(writes, "ann");
        var second = Begin(writes, "bob");
        var now = DateTime.UtcNow;
        writes.Hold(first, [2], coveredByRun: 5, now);
        writes.Hold(second, [2, 3], coveredByRun: 5, now);

        Assert.Empty(writes.Release(2, run: 4)); // a resync that started before the write
        Assert.Equal([first], writes.Release(2, run: 5));
        Assert.Empty(writes.Release(2, run: 5)); // member 3's fate is still open
        Assert.Equal([second], writes.Release(3, run: long.MaxValue)); // it left traffic
        Assert.Equal(0, writes.HeldCount);
    }

    [Fact]
    public void A_held_reply_older_than_the_limit_is_given_up()
    {
        var writes = new GroupWrites();
        var old = Begin(writes, "ann");
        var young = Begin(writes, "bob");
        writes.Hold(old, [2], 1, DateTime.UtcNow.AddSeconds(-30));
        writes.Hold(young, [2], 1, DateTime.UtcNow);

        Assert.Equal([old], writes.ExpireHeld(DateTime.UtcNow.AddSeconds(-20)));
        Assert.Equal(1, writes.HeldCount);
    }
}
