using LocationActors.Domain.Registrations;
using LocationActors.TestSupport;

namespace LocationActors.Domain.Tests;

/// <summary>Kamailio registrar's default, min and max expires, as every front end applies them.</summary>
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
}
