using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;
using LocationActors.TestSupport;

namespace LocationActors.Domain.Tests;

/// <summary>Kamailio registrar semantics (spec §8), case by case.</summary>
[Trait(Tier.Name, Tier.Unit)]
public class RegistrarTests
{
    private const long T0 = 1_767_225_600;
    private static readonly Aor Alice = Aor.FromNormalized("alice", RegistrarOptions.Default);

    private int _ruids;

    private string NextRuid() => $"ruid-{++_ruids}";

    private static RegisterRequest Register(string callId, int cseq, params ContactUpdate[] contacts) => new(Alice, contacts, callId, cseq, UserAgent: "phone/1");

    private static ContactUpdate Contact(string uri, long expires = 3600, int q = -1, string? instance = null, int regId = 0, uint? methods = null) =>
        new(uri, expires, QValue.FromThousandths(q), Instance: instance, RegId: regId, Methods: methods);

    private RegisterOutcome Apply(AorBindings current, RegisterRequest request, long now = T0, RegistrarSettings? settings = null) =>
        Registrar.Apply(current, request, settings ?? RegistrarSettings.Default, now, NextRuid);

    private AorBindings Registered(params string[] uris)
    {
        var bindings = AorBindings.Empty;
        var cseq = 1;
        foreach (var uri in uris)
            bindings = Apply(bindings, Register("setup-" + uri, cseq++, Contact(uri)), T0 - 100).Bindings;
        return bindings;
    }

    [Fact]
    public void A_new_aor_gets_its_contacts_with_every_field_set()
    {
        var outcome = Apply(AorBindings.Empty, Register("c1", 1, Contact("sip:alice@192.0.2.1", 1800, 500, methods: 0x1F)) with
        {
            Path = "<sip:edge.example.com;lr>", Socket = "udp:127.0.0.1:5060",
        });

        Assert.Equal(RegisterAction.Inserted, outcome.Action);
        var binding = Assert.Single(outcome.Bindings);
        Assert.Equal(new ContactBinding("ruid-1", "alice", null, "sip:alice@192.0.2.1", null, "<sip:edge.example.com;lr>", T0 + 1800,
            QValue.FromThousandths(500), "c1", 1, T0, 0, 0, "phone/1", "udp:127.0.0.1:5060", 0x1F, null, 0), binding);
        Assert.Equal([binding], outcome.Upserts);
        Assert.Empty(outcome.DeletedRuids);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void A_missing_user_agent_is_stored_as_n_a(string? userAgent)
    {
        var outcome = Apply(AorBindings.Empty, Register("c1", 1, Contact("sip:a@x")) with { UserAgent = userAgent });
        Assert.Equal("n/a", outcome.Bindings[0].UserAgent);
        Assert.Equal("n/a", Apply(AorBindings.Empty, Register("c1", 1, Contact("sip:a@x")) with { UserAgent = new string('u', 255) }).Bindings[0].UserAgent);
    }

    [Fact]
    public void Expires_zero_for_an_unknown_contact_changes_nothing()
    {
        var outcome = Apply(AorBindings.Empty, Register("c1", 1, Contact("sip:a@x", expires: 0)));

        Assert.True(outcome.Accepted);
        Assert.Empty(outcome.Bindings);
        Assert.False(outcome.HasWrites);
    }

    [Fact]
    public void A_re_register_updates_in_place_keeps_the_ruid_and_moves_the_binding_last()
    {
        var current = Registered("sip:a@1", "sip:a@2");

        var outcome = Apply(current, Register("setup-sip:a@1", 5, Contact("sip:a@1", 600)));

        Assert.Equal(RegisterAction.Updated, outcome.Action);
        Assert.Equal(["ruid-2", "ruid-1"], outcome.Bindings.Select(b => b.Ruid));
        var updated = Assert.Single(outcome.Upserts);
        Assert.Equal(("ruid-1", 5, T0 + 600, T0), (updated.Ruid, updated.CSeq, updated.Expires, updated.LastModified));
    }

    [Fact]
    public void A_lower_cseq_on_the_same_call_id_is_refused()
    {
        var current = Apply(AorBindings.Empty, Register("c1", 10, Contact("sip:a@1"))).Bindings;

        var outcome = Apply(current, Register("c1", 9, Contact("sip:a@1")), T0 + 1);

        Assert.Equal(RegisterRejection.InvalidCSeq, outcome.Rejection);
        Assert.Contains("CSeq 9 is not above the stored 10", outcome.Reason);
        Assert.Same(current, outcome.Bindings);
        Assert.False(outcome.HasWrites);
    }

    [Fact]
    public void The_same_cseq_is_a_retransmission_within_the_delay_and_an_error_after_it()
    {
        var current = Apply(AorBindings.Empty, Register("c1", 10, Contact("sip:a@1"))).Bindings;

        var retransmission = Apply(current, Register("c1", 10, Contact("sip:a@1")), T0 + 19);
        Assert.True(retransmission.Accepted);
        Assert.False(retransmission.HasWrites);
        Assert.Equal(current, retransmission.Bindings);

        Assert.Equal(RegisterRejection.InvalidCSeq, Apply(current, Register("c1", 10, Contact("sip:a@1")), T0 + 20).Rejection);
        Assert.Equal(RegisterRejection.InvalidCSeq,
            Apply(current, Register("c1", 10, Contact("sip:a@1")), T0 + 5, new RegistrarSettings(CSeqDelay: 5)).Rejection);
    }

    [Fact]
    public void A_copy_the_proxy_sent_again_is_a_retransmission_however_late_but_an_older_cseq_is_still_refused()
    {
        var current = Apply(AorBindings.Empty, Register("c1", 10, Contact("sip:a@1"))).Bindings;

        // The first copy was stored and its answer lost with the group's node; the copy comes after the group moved.
        var late = Apply(current, Register("c1", 10, Contact("sip:a@1")) with { Repeat = true }, T0 + 24);
        Assert.True(late.Accepted);
        Assert.False(late.HasWrites);
        Assert.Equal(current, late.Bindings);

        Assert.Equal(RegisterRejection.InvalidCSeq, Apply(current, Register("c1", 9, Contact("sip:a@1")) with { Repeat = true }, T0 + 24).Rejection);
    }

    [Fact]
    public void A_new_call_id_updates_whatever_its_cseq()
    {
        var current = Apply(AorBindings.Empty, Register("c1", 10, Contact("sip:a@1"))).Bindings;

        var outcome = Apply(current, Register("c2", 1, Contact("sip:a@1", 120)), T0 + 1);

        Assert.Equal(RegisterAction.Updated, outcome.Action);
        Assert.Equal(("ruid-1", "c2", 1), (outcome.Bindings[0].Ruid, outcome.Bindings[0].CallId, outcome.Bindings[0].CSeq));
    }

    [Fact]
    public void Expires_zero_removes_the_matching_binding()
    {
        var current = Registered("sip:a@1", "sip:a@2");

        var outcome = Apply(current, Register("x", 1, Contact("sip:a@2", expires: 0)));

        Assert.Equal(RegisterAction.Deleted, outcome.Action);
        Assert.Equal(["ruid-1"], outcome.Bindings.Select(b => b.Ruid));
        Assert.Equal(["ruid-2"], outcome.DeletedRuids);
        Assert.Empty(outcome.Upserts);
    }

    [Fact]
    public void Star_removes_every_binding()
    {
        var current = Registered("sip:a@1", "sip:a@2");

        var outcome = Apply(current, new RegisterRequest(Alice, [], "x", 1, RemoveAll: true));

        Assert.Equal(RegisterAction.Deleted, outcome.Action);
        Assert.Empty(outcome.Bindings);
        Assert.Equal(["ruid-1", "ruid-2"], outcome.DeletedRuids);
    }

    [Fact]
    public void A_register_without_contacts_fetches_and_writes_nothing()
    {
        var current = Registered("sip:a@1");

        var outcome = Apply(current, Register("x", 1), T0 + 7200);

        Assert.Equal(RegisterAction.Fetched, outcome.Action);
        Assert.Same(current, outcome.Bindings);
        Assert.False(outcome.HasWrites);
    }

    [Fact]
    public void Max_contacts_counts_the_result_of_the_whole_register()
    {
        var settings = new RegistrarSettings(MaxContacts: 2);
        var current = Registered("sip:a@1", "sip:a@2");

        var tooMany = Apply(current, Register("x", 1, Contact("sip:a@3")), settings: settings);
        Assert.Equal(RegisterRejection.TooManyContacts, tooMany.Rejection);
        Assert.Equal("3 contacts for alice, at most 2 allowed", tooMany.Reason);
        Assert.False(tooMany.HasWrites);

        var swap = Apply(current, Register("x", 1, Contact("sip:a@1", expires: 0), Contact("sip:a@3")), settings: settings);
        Assert.Equal(["sip:a@2", "sip:a@3"], swap.Bindings.Select(b => b.Contact));

        Assert.Equal(RegisterRejection.TooManyContacts,
            Apply(AorBindings.Empty, Register("x", 1, Contact("sip:a@1"), Contact("sip:a@2"), Contact("sip:a@3")), settings: settings).Rejection);
    }

    [Fact]
    public void An_instance_matches_by_instance_and_reg_id_only_without_a_cseq_check()
    {
        var current = Apply(AorBindings.Empty, Register("c1", 10, Contact("sip:a@1", instance: "<urn:uuid:1>", regId: 1))).Bindings;

        var moved = Apply(current, Register("c1", 3, Contact("sip:a@new-address", instance: "urn:uuid:1", regId: 1)), T0 + 1);
        Assert.Equal(["ruid-1"], moved.Bindings.Select(b => b.Ruid));
        Assert.Equal("sip:a@new-address", moved.Bindings[0].Contact);

        var otherFlow = Apply(current, Register("c1", 11, Contact("sip:a@1", instance: "<urn:uuid:1>", regId: 2)), T0 + 1);
        Assert.Equal(["ruid-1", "ruid-2"], otherFlow.Bindings.Select(b => b.Ruid));
    }

    [Fact]
    public void A_new_call_id_for_an_instance_drops_its_other_bindings()
    {
        var current = Apply(AorBindings.Empty, Register("c1", 1,
            Contact("sip:a@flow1", instance: "<urn:uuid:1>", regId: 1),
            Contact("sip:a@flow2", instance: "<urn:uuid:1>", regId: 2),
            Contact("sip:b@other", instance: "<urn:uuid:2>", regId: 1))).Bindings;

        var outcome = Apply(current, Register("c2", 1, Contact("sip:a@flow1", instance: "<urn:uuid:1>", regId: 1)), T0 + 1);

        Assert.Equal(["ruid-3", "ruid-1"], outcome.Bindings.Select(b => b.Ruid));
        Assert.Equal(["ruid-2"], outcome.DeletedRuids);
    }

    [Fact]
    public void Matching_by_contact_and_call_id_keeps_one_binding_per_call_id()
    {
        var settings = new RegistrarSettings(Matching: MatchingMode.ContactAndCallId);
        var current = Apply(AorBindings.Empty, Register("c1", 1, Contact("sip:a@1")), settings: settings).Bindings;

        var outcome = Apply(current, Register("c2", 1, Contact("sip:a@1")), T0 + 1, settings);

        Assert.Equal(["ruid-1", "ruid-2"], outcome.Bindings.Select(b => b.Ruid));
        Assert.Equal(RegisterRejection.InvalidCSeq, Apply(outcome.Bindings, Register("c2", 1, Contact("sip:a@1")), T0 + 60, settings).Rejection);
    }

    [Fact]
    public void Matching_by_contact_and_path_uses_the_path_when_the_register_has_one()
    {
        var settings = new RegistrarSettings(Matching: MatchingMode.ContactAndPath);
        var current = Apply(AorBindings.Empty, Register("c1", 1, Contact("sip:a@1")) with { Path = "<sip:edge1>" }, settings: settings).Bindings;

        var viaOtherEdge = Apply(current, Register("c1", 2, Contact("sip:a@1")) with { Path = "<sip:edge2>" }, T0 + 1, settings);
        Assert.Equal(2, viaOtherEdge.Bindings.Count);

        var noPath = Apply(current, Register("c1", 2, Contact("sip:a@1")), T0 + 1, settings);
        Assert.Equal(["ruid-1"], noPath.Bindings.Select(b => b.Ruid));
    }

    [Fact]
    public void Expired_bindings_are_dropped_when_a_register_writes_but_not_on_a_fetch()
    {
        var current = Registered("sip:a@old");
        var later = T0 + 4000; // the binding expired at T0 + 3500

        Assert.False(Apply(current, Register("x", 1), later).HasWrites);
        var outcome = Apply(current, Register("x", 1, Contact("sip:a@new")), later);

        Assert.Equal(["ruid-2"], outcome.Bindings.Select(b => b.Ruid));
        Assert.Equal(["ruid-1"], outcome.DeletedRuids);
    }

    [Fact]
    public void An_expired_binding_does_not_block_a_new_registration_of_its_contact()
    {
        var current = Apply(AorBindings.Empty, Register("c1", 10, Contact("sip:a@1", expires: 60))).Bindings;

        var outcome = Apply(current, Register("c1", 5, Contact("sip:a@1")), T0 + 61);

        Assert.Equal(RegisterAction.Inserted, outcome.Action);
        Assert.Equal(["ruid-2"], outcome.Bindings.Select(b => b.Ruid));
        Assert.Equal(["ruid-1"], outcome.DeletedRuids);
    }

    [Fact]
    public void A_refused_register_changes_nothing_even_when_its_first_contact_was_fine()
    {
        var current = Apply(AorBindings.Empty, Register("c1", 10, Contact("sip:a@2"))).Bindings;

        var outcome = Apply(current, Register("c1", 9, Contact("sip:a@1"), Contact("sip:a@2")), T0 + 1);

        Assert.Equal(RegisterRejection.InvalidCSeq, outcome.Rejection);
        Assert.Same(current, outcome.Bindings);
        Assert.False(outcome.HasWrites);
    }

    [Theory]
    [InlineData("", 1, "sip:a@x", 60, false, "the Call-ID is empty")]
    [InlineData("c", -1, "sip:a@x", 60, false, "CSeq -1 is negative")]
    [InlineData("c", 1, "", 60, false, "a contact has no URI")]
    [InlineData("c", 1, "sip:a@x", -5, false, "expires -5 is negative")]
    [InlineData("c", 1, "sip:a@x", 60, true, "'*' removes every contact")]
    public void Malformed_requests_are_refused_with_the_reason(string callId, int cseq, string uri, long expires, bool star, string reason)
    {
        var current = Registered("sip:a@1");
        var request = new RegisterRequest(Alice, [Contact(uri, expires)], callId, cseq, RemoveAll: star);

        var outcome = Apply(current, request);

        Assert.Equal(RegisterRejection.InvalidRequest, outcome.Rejection);
        Assert.Contains(reason, outcome.Reason);
        Assert.Same(current, outcome.Bindings);
        Assert.False(outcome.HasWrites);
    }

    [Fact]
    public void A_contact_too_long_for_its_column_is_refused()
    {
        var outcome = Apply(AorBindings.Empty, Register("c1", 1, Contact("sip:" + new string('a', 600) + "@x")));

        Assert.Equal(RegisterRejection.InvalidContact, outcome.Rejection);
        Assert.Contains("Contact has 606 characters", outcome.Reason);
    }

    [Fact]
    public void Lookup_orders_by_q_then_write_order_and_filters_methods()
    {
        const uint invite = 1, message = 256;
        var bindings = Apply(AorBindings.Empty, Register("c1", 1,
            Contact("sip:unspecified@x"), Contact("sip:low@x", q: 100), Contact("sip:high-old@x", q: 900, methods: invite),
            Contact("sip:mid@x", q: 500), Contact("sip:high-new@x", q: 900, methods: message))).Bindings;

        Assert.Equal(["sip:high-old@x", "sip:high-new@x", "sip:mid@x", "sip:low@x", "sip:unspecified@x"],
            bindings.Lookup(T0).Select(b => b.Contact));
        Assert.Equal(["sip:high-old@x", "sip:mid@x", "sip:low@x", "sip:unspecified@x"], bindings.Lookup(T0, invite).Select(b => b.Contact));
        Assert.Empty(bindings.Lookup(T0 + 3600));
    }
}
