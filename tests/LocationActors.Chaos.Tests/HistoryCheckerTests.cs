using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Chaos.Tests;

/// <summary>The chaos checker must catch what it exists to catch: a lost write, a wrong answer — and nothing else.</summary>
[Trait(Tier.Name, Tier.Db)]
public sealed class HistoryCheckerTests
{
    private static readonly DateTime T0 = new(2026, 11, 26, 12, 0, 0, DateTimeKind.Utc);

    private static Op Register(string contact, Outcome outcome, int at) => new("u1", OpKind.Register, contact, T0.AddSeconds(at), T0.AddSeconds(at), outcome);

    private static Op Remove(string contact, Outcome outcome, int at) => new("u1", OpKind.Remove, contact, T0.AddSeconds(at), T0.AddSeconds(at), outcome);

    private static Op Lookup(int at, params string[] found) => new("u1", OpKind.Lookup, null, T0.AddSeconds(at), T0.AddSeconds(at), Outcome.Acked, found);

    private static Verdict Check(params Op[] ops)
    {
        var checker = new HistoryChecker();
        checker.Replay(ops);
        return checker.Verdict();
    }

    [Fact]
    public void A_clean_history_has_no_finding()
    {
        var verdict = Check(Register("a", Outcome.Acked, 0), Lookup(1, "a"), Register("b", Outcome.Acked, 2), Lookup(3, "b", "a"),
            Remove("a", Outcome.Acked, 4), Lookup(5, "b"));

        Assert.Equal((6, 6, 0, 0), (verdict.Ops, verdict.Acked, verdict.Lost, verdict.Wrong));
        Assert.Equal(1.0, verdict.Availability);
    }

    [Fact]
    public void An_acknowledged_registration_a_lookup_misses_is_lost()
    {
        var verdict = Check(Register("a", Outcome.Acked, 0), Lookup(1));

        Assert.Equal(1, verdict.Lost);
        Assert.Contains("a is missing", Assert.Single(verdict.Findings).Detail);
    }

    [Fact]
    public void A_contact_removed_with_an_acknowledgement_that_comes_back_is_wrong_and_so_is_one_never_registered()
    {
        Assert.Equal(1, Check(Register("a", Outcome.Acked, 0), Remove("a", Outcome.Acked, 1), Lookup(2, "a")).Wrong);
        Assert.Equal(1, Check(Lookup(0, "stranger")).Wrong);
    }

    [Fact]
    public void Operations_without_a_verdict_may_or_may_not_have_happened()
    {
        Assert.Equal((0, 0), Counts(Check(Register("a", Outcome.Unknown, 0), Lookup(1))));
        Assert.Equal((0, 0), Counts(Check(Register("a", Outcome.Unknown, 0), Lookup(1, "a"))));
        Assert.Equal((0, 0), Counts(Check(Register("a", Outcome.Acked, 0), Remove("a", Outcome.Unknown, 1), Lookup(2))));
        // An unanswered REGISTER may still arrive after a later removal: its contact reappearing is not wrong.
        Assert.Equal((0, 0), Counts(Check(Register("a", Outcome.Unknown, 0), Remove("a", Outcome.Acked, 1), Lookup(2, "a"))));
        // A refused one did not happen.
        Assert.Equal(1, Check(Register("a", Outcome.Refused, 0), Lookup(1, "a")).Wrong);
    }

    private static (int Lost, int Wrong) Counts(Verdict verdict) => (verdict.Lost, verdict.Wrong);

    [Fact]
    public void Availability_and_the_longest_gap_count_only_operations_with_a_verdict()
    {
        var verdict = Check(Register("a", Outcome.Acked, 0), Register("b", Outcome.Unknown, 3), Register("c", Outcome.Unknown, 5), Lookup(9, "a", "b"));

        Assert.Equal(0.5, verdict.Availability);
        Assert.Equal(TimeSpan.FromSeconds(9), verdict.LongestGap);
    }

    [Fact]
    public void The_longest_gap_is_a_users_wait_which_other_users_answers_do_not_hide()
    {
        var checker = new HistoryChecker();
        checker.Replay([Lookup(0), Lookup(1), Lookup(2), Lookup(3)]);
        // u2 asks at 1 s and hears nothing until 7 s; then its last request, sent at 8 s, ends without a verdict at 14 s: 7 s without an answer.
        checker.Replay([
            new Op("u2", OpKind.Lookup, null, T0.AddSeconds(1), T0.AddSeconds(7), Outcome.Acked, []),
            new Op("u2", OpKind.Lookup, null, T0.AddSeconds(8), T0.AddSeconds(14), Outcome.Unknown),
        ]);

        Assert.Equal(TimeSpan.FromSeconds(7), checker.Verdict().LongestGap);
    }
}

/// <summary>A row deleted behind the cluster's back — a lost write — is caught when the member databases are read.</summary>
[Collection(MariaDbCollection.Name)]
public sealed class MemberCheckTests(MariaDbServers servers)
{
    [Fact]
    public async Task A_row_deleted_behind_the_clusters_back_is_reported_lost()
    {
        await using var member = new LocationDatabase(await servers.CreateDatabaseAsync());
        await member.CreateSchemaAsync();
        var kept = BindingFields.Sample("u1", 1) with { Expires = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600 };
        var lost = BindingFields.Sample("u1", 2) with { Expires = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600 };
        await member.UpsertAsync([kept, lost]);
        var checker = new HistoryChecker();
        checker.Replay([
            new Op("u1", OpKind.Register, kept.Contact, DateTime.UtcNow, DateTime.UtcNow, Outcome.Acked),
            new Op("u1", OpKind.Register, lost.Contact, DateTime.UtcNow, DateTime.UtcNow, Outcome.Acked),
        ]);

        await member.DeleteByRuidAsync([lost.Ruid]); // the injected loss
        await MemberCheck.CompareAsync(member, "member (1,1)", checker.Users, checker);

        var verdict = checker.Verdict();
        Assert.Equal((1, 0), (verdict.Lost, verdict.Wrong));
        Assert.Contains($"member (1,1): {lost.Contact} is missing", Assert.Single(verdict.Findings).Detail);
    }
}

[CollectionDefinition(Name)]
public sealed class MariaDbCollection : ICollectionFixture<MariaDbServers>
{
    public const string Name = "MariaDB";
}
