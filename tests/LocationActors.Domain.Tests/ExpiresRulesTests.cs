using LocationActors.Domain.Registrations;
using LocationActors.TestSupport;

namespace LocationActors.Domain.Tests;

/// <summary>Kamailio registrar's default, min and max expires and their random spread, as every front end applies them.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class ExpiresRulesTests
{
    private static readonly ExpiresRules Rules = new(DefaultExpires: 3600, MinExpires: 60, MaxExpires: 7200);

    [Theory]
    [InlineData(null, 3600L)]   // none asked: the default
    [InlineData(0L, 0L)]        // a removal is never too brief
    [InlineData(60L, 60L)]
    [InlineData(7200L, 7200L)]
    [InlineData(86400L, 7200L)] // cut down to the maximum
    public void A_contact_gets_what_it_asked_for_within_the_limits(long? requested, long granted)
    {
        Assert.Equal(granted, Rules.Grant(requested));
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(59L)]
    public void Fewer_seconds_than_the_minimum_are_refused(long requested)
    {
        Assert.Null(Rules.Grant(requested));
    }

    [Fact]
    public void Without_a_maximum_nothing_is_cut()
    {
        Assert.Equal(1_000_000, new ExpiresRules(MaxExpires: 0).Grant(1_000_000));
    }

    [Fact]
    public void A_spread_lowers_the_default_by_up_to_its_percentage_in_hundredths_and_never_raises_it()
    {
        var rules = Rules with { DefaultExpiresRange = 20 };
        var random = new Random(7);

        var granted = Enumerable.Range(0, 5000).Select(_ => rules.Grant(null, random)!.Value).ToList();

        // 2,880 to 3,600 s in steps of 7.2 s (a hundredth of the 720 s range), truncated as Kamailio's registrar does.
        Assert.All(granted, g => Assert.InRange(g, 2880, 3600));
        Assert.Equal(100, granted.Distinct().Count());
        Assert.Equal(2880, granted.Min());
        Assert.Equal(2880 + (long)(0.99 * 720), granted.Max());
    }

    [Fact]
    public void The_expires_a_phone_asks_for_spreads_by_its_own_range_and_the_limits_apply_after()
    {
        var rules = Rules with { ExpiresRange = 50, DefaultExpiresRange = 0 };
        var random = new Random(11);

        Assert.All(Enumerable.Range(0, 1000), _ => Assert.InRange(rules.Grant(1800, random)!.Value, 900, 1800));
        Assert.All(Enumerable.Range(0, 1000), _ => Assert.Equal(3600, rules.Grant(null, random))); // the default keeps its own (none)
        // Spread below the minimum: the minimum; above the maximum first: cut to it.
        Assert.All(Enumerable.Range(0, 1000), _ => Assert.InRange(rules.Grant(100, random)!.Value, 60, 100));
        Assert.Contains(Enumerable.Range(0, 1000).Select(_ => rules.Grant(100, random)), g => g == 60);
        Assert.All(Enumerable.Range(0, 1000), _ => Assert.Equal(7200, rules.Grant(100_000, random)));
        // A removal and a too brief request are what they were.
        Assert.Equal(0, rules.Grant(0, random));
        Assert.Null(rules.Grant(59, random));
    }
}
