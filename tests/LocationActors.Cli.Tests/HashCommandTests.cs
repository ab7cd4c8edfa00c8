using LocationActors.Cli;
using LocationActors.TestSupport;

namespace LocationActors.Cli.Tests;

[Trait(Tier.Name, Tier.Unit)]
public class HashCommandTests
{
    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = LocCtl.Run(args, output, error);
        return (code, output.ToString().Trim(), error.ToString().Trim());
    }

    [Theory]
    [InlineData("alice", "2", "2")]
    [InlineData("bob", "2", "1")]
    [InlineData("1000", "3", "1")]
    [InlineData("49301234567", "10", "4")]
    [InlineData("sip:Alice@example.com", "2", "2")]       // a URI is normalised first: the key is 'alice'
    [InlineData("sip:%62ob@example.com", "2", "1")]
    [InlineData("Alice", "2", "2")]                        // read as lookup reads it: the user 'alice'
    [InlineData("alice@example.com", "2", "2")]            // without use_domain the domain is not part of the AOR
    public void Prints_the_group_of_the_spec_examples(string key, string groups, string expected)
    {
        Assert.Equal((0, expected, ""), Run("hash", key, "--groups", groups));
    }

    [Theory]
    [InlineData("alice@example.com", "2")]
    [InlineData("sip:ALICE@Example.COM", "2")]
    [InlineData("1000@example.com", "1")]
    [InlineData("49301234567@example.com", "1")]
    public void Use_domain_hashes_user_at_domain(string key, string expected)
    {
        Assert.Equal((0, expected, ""), Run("hash", key, "-n", "2", "--use-domain"));
    }

    [Fact]
    public void Verbose_shows_the_key_and_crc()
    {
        Assert.Equal("key=alice@example.com crc32=2583554601 groups=10 group=2",
            Run("hash", "sip:alice@reg.example.com", "-n", "10", "--use-domain", "--realm-prefix", "reg.", "-v").Output);
    }

    [Theory]
    [InlineData("müller", "non-ASCII")]
    [InlineData("sip:m%C3%BCller@example.com", "escape sequence")]
    [InlineData("tel:+4930123", "only sip: and sips:")]
    public void Invalid_keys_are_one_line_errors_with_exit_code_2(string key, string reason)
    {
        var (code, output, error) = Run("hash", key, "-n", "2");

        Assert.Equal(LocCtl.InvalidInput, code);
        Assert.Equal("", output);
        Assert.StartsWith("locctl: ", error);
        Assert.Contains(reason, error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void Group_count_must_be_positive()
    {
        var (code, _, error) = Run("hash", "alice", "-n", "0");

        Assert.Equal(LocCtl.InvalidInput, code);
        Assert.Contains("--groups must be at least 1", error);
    }

    [Fact]
    public void A_missing_group_count_is_a_usage_error()
    {
        var (code, _, error) = Run("hash", "alice");

        Assert.Equal(1, code);
        Assert.Contains("--groups", error);
    }
}
