using LocationActors.Domain.Aors;
using LocationActors.TestSupport;

namespace LocationActors.Domain.Tests;

[Trait(Tier.Name, Tier.Unit)]
public class AorNormalizerTests
{
    private static readonly RegistrarOptions NoDomain = RegistrarOptions.Default;
    private static readonly RegistrarOptions WithDomain = new(UseDomain: true);

    [Theory]
    [InlineData("Alice", false, false, "alice")]                      // a bare user, lower-cased as the registrar would
    [InlineData("Alice", false, true, "Alice")]                       // ... unless case-sensitive
    [InlineData(" alice@Example.com ", false, false, "alice")]        // user@domain is the SIP URI it abbreviates
    [InlineData("alice@Example.com", true, false, "alice@example.com")]
    [InlineData("sip:Alice@example.com", false, false, "alice")]
    [InlineData("SIPS:alice@example.com", true, false, "alice@example.com")]
    public void Operator_input_is_read_as_the_registrar_reads_the_aor(string input, bool useDomain, bool caseSensitive, string aor)
    {
        Assert.Equal(aor, AorNormalizer.FromInput(input, new RegistrarOptions(useDomain, caseSensitive)).Value);
    }

    [Theory]
    [InlineData("tel:+4930123")]   // any scheme but sip: and sips: is refused clearly, not hashed as a user
    [InlineData("http://example.com")]
    [InlineData("")]
    public void Operator_input_that_names_no_sip_user_is_refused(string input)
    {
        Assert.Throws<AorFormatException>(() => AorNormalizer.FromInput(input, NoDomain));
    }

    [Theory]
    [InlineData("sip:alice@example.com", "alice")]
    [InlineData("sip:ALICE@Example.COM", "alice")]                 // spec §2: stored as username 'alice'
    [InlineData("SIP:Alice@example.com", "alice")]                 // scheme is case-insensitive
    [InlineData("sips:bob@example.com:5061;transport=tls", "bob")]
    [InlineData("sip:al%69ce@example.com", "alice")]               // %-unescaped
    [InlineData("sip:Al%49CE@example.com", "alice")]               // unescaped, then lower-cased
    [InlineData("sip:alice:secret@example.com", "alice")]          // password dropped
    [InlineData("sip:%2B4930123@example.com", "+4930123")]
    [InlineData("sip:+4930123;npdi@example.com", "+4930123;npdi")] // user params stay without user=phone
    [InlineData("sip:+4930123;npdi@example.com;user=phone", "+4930123")] // phone2tel drops them
    [InlineData("sip:alice@[2001:db8::1]:5060", "alice")]
    [InlineData("sip:alice@example.com?subject=x", "alice")]
    [InlineData("sip:*21#@example.com", "*21#")]                   // Kamailio takes almost any character in the user
    [InlineData("sip:a\"b<c>@example.com", "a\"b<c>")]
    [InlineData("sip:+4930123;npdi@example.com;user=Phone", "+4930123;npdi")] // phone2tel needs the value "phone" exactly
    [InlineData("sip:+4930123;npdi@example.com;USER=phone", "+4930123")]
    public void Without_use_domain_the_aor_is_the_normalised_user(string uri, string expected)
    {
        var aor = AorNormalizer.Normalize(uri, NoDomain);

        Assert.Equal(expected, aor.Value);
        Assert.Equal(expected, aor.Username);
        Assert.Null(aor.Domain);
        Assert.Equal(expected, aor.PartitionKey);
    }

    [Theory]
    [InlineData("sip:alice@example.com", "alice@example.com", "alice", "example.com")]
    [InlineData("sip:ALICE@Example.COM", "alice@example.com", "alice", "example.com")]
    [InlineData("sip:a%40b@example.com", "a@b@example.com", "a", "b@example.com")] // p_usrloc splits at the first '@'
    [InlineData("sip:1000@[2001:DB8::1]", "1000@[2001:db8::1]", "1000", "[2001:db8::1]")]
    public void With_use_domain_the_aor_is_user_at_domain(string uri, string value, string user, string domain)
    {
        var aor = AorNormalizer.Normalize(uri, WithDomain);

        Assert.Equal(value, aor.Value);
        Assert.Equal(user, aor.Username);
        Assert.Equal(domain, aor.Domain);
    }

    [Fact]
    public void Case_sensitive_keeps_the_user_and_lowers_the_domain()
    {
        Assert.Equal("Alice@example.com", AorNormalizer.Normalize("sip:Alice@EXAMPLE.com", new(UseDomain: true, CaseSensitive: true)).Value);
        Assert.Equal("Alice", AorNormalizer.Normalize("sip:Alice@EXAMPLE.com", new(UseDomain: false, CaseSensitive: true)).Value);
    }

    [Theory]
    [InlineData("sip:alice@reg.example.com", "reg.", "alice@example.com")]
    [InlineData("sip:alice@reg.example.com", "other.", "alice@reg.example.com")]
    [InlineData("sip:alice@reg.", "reg.", "alice@reg.")]                 // prefix must be shorter than the host
    [InlineData("sip:alice@REG.example.com", "reg.", "alice@reg.example.com")] // compared before lower-casing, like Kamailio
    public void Realm_prefix_is_stripped_from_the_domain(string uri, string prefix, string expected)
    {
        Assert.Equal(expected, AorNormalizer.Normalize(uri, new(UseDomain: true, RealmPrefix: prefix)).Value);
    }

    [Fact]
    public void Realm_prefix_has_no_effect_without_use_domain()
    {
        Assert.Equal("alice", AorNormalizer.Normalize("sip:alice@reg.example.com", new(RealmPrefix: "reg.")).Value);
    }

    [Theory]
    [InlineData("", AorError.Empty)]
    [InlineData("tel:+4930123", AorError.UnsupportedScheme)]
    [InlineData("alice@example.com", AorError.UnsupportedScheme)]
    [InlineData("sip:example.com", AorError.MissingUser)]
    [InlineData("sip:@example.com", AorError.MissingUser)]
    [InlineData("sip::pw@example.com", AorError.MissingUser)]
    [InlineData("sip:alice@", AorError.MissingHost)]
    [InlineData("sip:alice@:5060", AorError.MissingHost)]
    [InlineData("sip:al ice@example.com", AorError.InvalidCharacter)]
    [InlineData("sip:al[ice@example.com", AorError.InvalidCharacter)]
    [InlineData("sip:alice@ex_ample.com", AorError.InvalidCharacter)]  // '_' needs Kamailio's uri_host_extra_chars
    [InlineData("sip:alice@-example.com", AorError.InvalidCharacter)]
    [InlineData("sip:alice@.example.com", AorError.InvalidCharacter)]
    [InlineData("sip:alice@[2001:db8::zz]", AorError.InvalidCharacter)]
    [InlineData("sip:alice@host;x=a@b", AorError.InvalidCharacter)]
    [InlineData("sip:alice@host:70000", AorError.InvalidCharacter)]
    [InlineData("sip:alice@host:50x0", AorError.InvalidCharacter)]
    [InlineData("sip:alice@exa mple.com", AorError.InvalidCharacter)]
    [InlineData("sip:alice@[2001:db8::1", AorError.InvalidCharacter)]
    [InlineData("sip:müller@example.com", AorError.NonAscii)]
    [InlineData("sip:alice@exämple.com", AorError.NonAscii)]
    [InlineData("sip:al%4@example.com", AorError.InvalidEscape)]
    [InlineData("sip:alice%@example.com", AorError.InvalidEscape)]
    [InlineData("sip:al%zzce@example.com", AorError.InvalidEscape)]
    [InlineData("sip:m%C3%BCller@example.com", AorError.InvalidEscape)] // Kamailio's un_escape refuses non-ASCII
    [InlineData("sip:a%00b@example.com", AorError.InvalidEscape)]
    public void Malformed_uris_are_refused_with_the_reason(string uri, AorError expected)
    {
        var error = Assert.Throws<AorFormatException>(() => AorNormalizer.Normalize(uri, WithDomain));

        Assert.Equal(expected, error.Error);
        Assert.Contains("invalid AOR", error.Message);
    }

    [Fact]
    public void Over_long_parts_are_refused_at_kamailios_limits()
    {
        var user64 = new string('u', 64);
        var host128 = new string('h', 124) + ".com";

        Assert.Equal(user64, AorNormalizer.Normalize($"sip:{user64}@{host128}", NoDomain).Value);
        Assert.Equal(AorError.TooLong,
            Assert.Throws<AorFormatException>(() => AorNormalizer.Normalize($"sip:{user64}u@example.com", NoDomain)).Error);
        Assert.Equal(AorError.TooLong,
            Assert.Throws<AorFormatException>(() => AorNormalizer.Normalize($"sip:alice@h{host128}", NoDomain)).Error);
    }

    [Fact]
    public void The_limit_applies_to_the_escaped_user_as_kamailio_does()
    {
        // 22 escapes = 66 characters on the wire, 22 after unescaping: still refused.
        var escaped = string.Concat(Enumerable.Repeat("%41", 22));
        Assert.Throws<AorFormatException>(() => AorNormalizer.Normalize($"sip:{escaped}@example.com", NoDomain));
    }

    [Fact]
    public void A_normalised_aor_is_read_back_with_the_same_split()
    {
        var aor = Aor.FromNormalized("a@b@example.com", WithDomain);
        Assert.Equal("a", aor.Username);
        Assert.Equal("b@example.com", aor.Domain);
        Assert.Equal(AorNormalizer.Normalize("sip:a%40b@example.com", WithDomain), aor);
        Assert.Equal(AorNormalizer.Normalize("sip:alice@x", NoDomain), Aor.FromNormalized("alice", NoDomain));
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("Alice", false)]
    [InlineData("alice", true)]           // use_domain needs a domain
    [InlineData("@example.com", true)]
    [InlineData("alice@", true)]
    [InlineData("alice@Example.com", true)]
    [InlineData("müller", false)]
    [InlineData("a\tb", false)]
    public void Not_normalised_aors_are_refused(string value, bool useDomain)
    {
        Assert.Throws<AorFormatException>(() => Aor.FromNormalized(value, new(UseDomain: useDomain)));
    }
}
