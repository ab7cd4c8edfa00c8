using LocationActors.Domain.Contacts;

using LocationActors.TestSupport;

namespace LocationActors.Domain.Tests;

[Trait(Tier.Name, Tier.Unit)]
public class ContactBindingTests
{
    private static ContactBinding Sample() => BindingFields.Sample("alice");

    [Fact]
    public void A_complete_binding_is_valid()
    {
        Assert.Null(Sample().Validate());
    }

    [Theory]
    [InlineData(nameof(ContactBinding.Ruid), 65)]
    [InlineData(nameof(ContactBinding.Username), 65)]
    [InlineData(nameof(ContactBinding.Domain), 65)]
    [InlineData(nameof(ContactBinding.Contact), 513)]
    [InlineData(nameof(ContactBinding.Received), 129)]
    [InlineData(nameof(ContactBinding.Path), 513)]
    [InlineData(nameof(ContactBinding.CallId), 256)]
    [InlineData(nameof(ContactBinding.UserAgent), 256)]
    [InlineData(nameof(ContactBinding.Socket), 65)]
    [InlineData(nameof(ContactBinding.Instance), 256)]
    public void Values_longer_than_their_column_are_refused_by_name(string field, int length)
    {
        var tooLong = BindingFields.With(Sample(), field, new string('x', length));
        var fits = BindingFields.With(Sample(), field, new string('x', length - 1));

        Assert.Null(fits.Validate());
        var error = Assert.Throws<InvalidBindingException>(() => tooLong.EnsureValid());
        Assert.Contains(field, error.Message);
        Assert.Contains($"{length} characters", error.Message);
    }

    [Theory]
    [InlineData(nameof(ContactBinding.Ruid))]
    [InlineData(nameof(ContactBinding.Username))]
    [InlineData(nameof(ContactBinding.Contact))]
    [InlineData(nameof(ContactBinding.CallId))]   // Kamailio skips rows with an empty Call-ID when reading
    public void Required_values_may_not_be_empty(string field)
    {
        Assert.Equal($"{field} is empty", BindingFields.With(Sample(), field, "").Validate());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(ContactBinding.MaxTime + 1)]
    public void Times_outside_datetime_are_refused(long expires)
    {
        Assert.Contains("Expires", (Sample() with { Expires = expires }).Validate());
    }

    [Fact]
    public void Validity_follows_kamailio()
    {
        var binding = Sample() with { Expires = 1000 };
        Assert.True(binding.IsValidAt(999));
        Assert.False(binding.IsValidAt(1000));  // VALID_CONTACT: expires > now
        Assert.Equal(1, binding.RemainingSeconds(999));
        Assert.True((binding with { Expires = ContactBinding.Permanent }).IsValidAt(long.MaxValue));
    }

    [Fact]
    public void Ruids_are_unique_and_fit_the_column()
    {
        var generator = new RuidGenerator();
        var ruids = Enumerable.Range(0, 10_000).AsParallel().Select(_ => generator.Next()).ToHashSet();

        Assert.Equal(10_000, ruids.Count);
        Assert.All(ruids, r => Assert.StartsWith("uloc-", r));
        Assert.All(ruids, r => Assert.InRange(r.Length, 1, LocationColumns.Ruid));
        Assert.Equal("uloc-6b07ead6-2d68-1", new RuidGenerator(0x6b07ead6, 0x2d68).Next());
        Assert.NotEqual(new RuidGenerator().Next(), new RuidGenerator().Next()); // other nodes, other ids
    }
}
