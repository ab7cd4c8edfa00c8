using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;
using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

/// <summary>What a request does to one AOR: the registrar's rules and the removal tombstones; no actor, no database.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class AorChangeRulesTests
{
    private const long Now = BindingFields.Now;
    private static readonly Aor Ann = Aor.FromNormalized("ann", RegistrarOptions.Default);
    private readonly AorChangeRules _rules = new(RegistrarSettings.Default, new RuidGenerator());

    private static RegisterBindings Register(string callId, int cseq, long expires = 3600) =>
        new(1, cseq, new RegisterRequest(Ann, [new ContactUpdate("sip:ann@192.0.2.1:5060", expires, QValue.Unspecified)], callId, cseq, UserAgent: "test"));

    [Fact]
    public void A_new_contact_is_written_and_a_retransmission_is_answered_without_a_write_unless_the_aor_is_dirty()
    {
        var first = _rules.Apply(Register("c1", 1), AorBindings.Empty, Now, dirty: false);
        Assert.True(first.Write);
        Assert.Equal(RegisterAction.Inserted, ((RegisterResult)first.Reply).Action);
        var stored = Assert.Single(first.Upserts);

        var again = _rules.Apply(Register("c1", 1), first.Next, Now, dirty: false);
        Assert.False(again.Write);
        Assert.Equal([stored.Ruid], ((RegisterResult)again.Reply).Bindings.Select(b => b.Ruid));
        Assert.True(_rules.Apply(Register("c1", 1), first.Next, Now, dirty: true).Write); // repairs a member that missed it
    }

    [Fact]
    public void Removals_delete_the_rows_of_the_contact_or_of_the_whole_aor()
    {
        var bound = _rules.Apply(Register("c1", 1), AorBindings.Empty, Now, false).Next;
        var ruid = bound.Single().Ruid;

        var contact = _rules.Apply(new RemoveContact(1, 9, Ann, "sip:ann@192.0.2.1:5060"), bound, Now, false);
        Assert.Equal([ruid], contact.Deletes);
        Assert.Empty(contact.Next);
        Assert.Equal(1, ((ContactsRemoved)contact.Reply).Count);

        var none = _rules.Apply(new RemoveContact(1, 10, Ann, "sip:other@192.0.2.9"), bound, Now, false);
        Assert.Equal(0, ((ContactsRemoved)none.Reply).Count);
        Assert.Empty(none.Deletes);

        var all = _rules.Apply(new RemoveAor(1, 11, Ann), bound, Now, false);
        Assert.Equal([ruid], all.Deletes);
    }

    [Fact]
    public void A_contact_that_stopped_answering_keepalives_is_removed_unless_a_register_wrote_it_again_since()
    {
        var bound = _rules.Apply(Register("c1", 1), AorBindings.Empty, Now, false).Next;
        var ruid = bound.Single().Ruid;

        var dropped = _rules.Apply(new DropUnreachable(1, 12, Ann, ruid, "c1", 1), bound, Now, false);
        Assert.True(dropped.Write);
        Assert.Equal([ruid], dropped.Deletes);
        Assert.True(((UnreachableDropped)dropped.Reply).Removed);

        // The phone re-registered (CSeq 2) while the removal waited behind that write: the binding stays.
        var refreshed = _rules.Apply(Register("c1", 2), bound, Now, false).Next;
        var kept = _rules.Apply(new DropUnreachable(1, 13, Ann, ruid, "c1", 1), refreshed, Now, false);
        Assert.False(kept.Write);
        Assert.Empty(kept.Deletes);
        Assert.False(((UnreachableDropped)kept.Reply).Removed);
        Assert.Equal([ruid], kept.Next.Select(b => b.Ruid));
    }

    [Fact]
    public void An_older_copy_of_a_register_cannot_bring_back_a_contact_a_later_one_removed()
    {
        var bound = _rules.Apply(Register("c1", 1), AorBindings.Empty, Now, false).Next;
        var removed = _rules.Apply(Register("c1", 3, expires: 0), bound, Now, false);
        Assert.True(removed.Write);
        Assert.Empty(removed.Next);

        var late = _rules.Apply(Register("c1", 2), removed.Next, Now, false);

        Assert.False(late.Write);
        Assert.Equal(RegisterRejection.InvalidCSeq, ((RegisterResult)late.Reply).Rejection);
        // Once the tombstone expired, the same CSeq is a REGISTER of its own again.
        _rules.Expire(Now + RemovedCSeqs.KeepSeconds + 1);
        Assert.True(_rules.Apply(Register("c1", 2), removed.Next, Now + RemovedCSeqs.KeepSeconds + 1, false).Write);
    }
}
