using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Registrations;
using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

/// <summary>A warm-up while serving: streamed rows never overwrite an AOR the group read or changed meanwhile.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class ContactsLoadTests
{
    private static bool Mine(string key) => !key.StartsWith("other", StringComparison.Ordinal);

    [Fact]
    public void Streamed_rows_of_an_aor_become_the_groups_once_the_load_completes()
    {
        var load = new ContactsLoad();
        load.Load([BindingFields.Sample("ann", 1), BindingFields.Sample("bob", 2), BindingFields.Sample("other1", 3)], Mine);
        load.Load([BindingFields.Sample("ann", 4)], Mine); // rows come in id order: an AOR's rows may be pages apart

        Assert.False(load.IsSettled("ann"));
        Assert.Equal(1, load.ForeignRows);
        var contacts = load.Complete(new GroupContacts());

        Assert.Equal((2, 3L), (contacts.AorCount, contacts.BindingCount));
        Assert.Equal(["uloc-test-ann-1", "uloc-test-ann-4"], contacts.Get("ann").Select(b => b.Ruid));
    }

    [Fact]
    public void An_aor_read_or_changed_while_loading_keeps_that_state_whatever_is_streamed_before_or_after()
    {
        var load = new ContactsLoad();
        var served = new GroupContacts();
        load.Load([BindingFields.Sample("ann", 1), BindingFields.Sample("bob", 2)], Mine);

        // ann was removed while loading (after her row was streamed); bob was re-registered (before his second row).
        load.Settle("ann");
        served.Set("ann", AorBindings.Empty);
        load.Settle("bob");
        served.Set("bob", AorBindings.Empty.Put(BindingFields.Sample("bob", 9)));
        load.Load([BindingFields.Sample("ann", 3), BindingFields.Sample("bob", 4), BindingFields.Sample("cy", 5)], Mine);

        Assert.True(load.IsSettled("bob"));
        var contacts = load.Complete(served);
        Assert.Empty(contacts.Get("ann"));
        Assert.Equal(["uloc-test-bob-9"], contacts.Get("bob").Select(b => b.Ruid));
        Assert.Equal(["uloc-test-cy-5"], contacts.Get("cy").Select(b => b.Ruid));
        Assert.Equal(2L, contacts.BindingCount);
        Assert.Equal(0, load.SettledCount); // the next load starts afresh
    }

    [Fact]
    public void A_load_started_again_from_another_member_drops_what_was_streamed_and_keeps_what_was_settled()
    {
        var load = new ContactsLoad();
        var served = new GroupContacts();
        load.Load([BindingFields.Sample("ann", 1), BindingFields.Sample("other", 2)], Mine);
        load.Settle("bob");
        served.Set("bob", AorBindings.Empty.Put(BindingFields.Sample("bob", 3)));

        load.Restart();
        load.Load([BindingFields.Sample("cy", 4)], Mine);

        var contacts = load.Complete(served);
        Assert.Equal(["bob", "cy"], contacts.All().Select(b => b.Username).Order());
        Assert.Equal(0, load.ForeignRows);
    }
}
