using LocationActors.TestSupport;

namespace LocationActors.Sip.Tests;

[Trait(Tier.Name, Tier.Unit)]
public class NatAliasTests
{
    [Theory]
    [InlineData("sip:alice@10.0.0.5:5060", "sip:198.51.100.7:40312", "sip:alice@10.0.0.5:5060;alias=198.51.100.7~40312~1")]
    [InlineData("sip:alice@10.0.0.5", "sip:198.51.100.7", "sip:alice@10.0.0.5;alias=198.51.100.7~5060~1")]
    [InlineData("sip:alice@10.0.0.5;transport=tcp", "sip:198.51.100.7:40312;transport=tcp", "sip:alice@10.0.0.5;transport=tcp;alias=198.51.100.7~40312~2")]
    [InlineData("sip:alice@10.0.0.5", "sip:198.51.100.7:5061;transport=TLS", "sip:alice@10.0.0.5;alias=198.51.100.7~5061~3")]
    [InlineData("sip:alice@10.0.0.5", "sip:198.51.100.7:8080;transport=ws", "sip:alice@10.0.0.5;alias=198.51.100.7~8080~5")]
    [InlineData("sip:alice@[fd00::5]", "sip:[2001:db8::7]:40312", "sip:alice@[fd00::5];alias=[2001:db8::7]~40312~1")]
    // URI parameters go before the URI's headers.
    [InlineData("sip:alice@10.0.0.5;ob?X-Hdr=1", "sip:198.51.100.7:40312", "sip:alice@10.0.0.5;ob;alias=198.51.100.7~40312~1?X-Hdr=1")]
    public void A_contact_with_a_received_carries_the_received_as_an_alias(string contact, string received, string expected)
    {
        Assert.Equal(expected, NatAlias.Add(contact, received));
        Assert.Equal(contact, NatAlias.Remove(expected));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sip:edge.example.com:5060")] // a name is no address a NAT binding has
    [InlineData("sip:198.51.100.7:99999")]
    [InlineData("sip:198.51.100.7:40312;transport=carrier-pigeon")]
    [InlineData("http://198.51.100.7:40312")]
    public void A_contact_without_a_usable_received_is_left_as_it_is(string? received)
    {
        Assert.Equal("sip:alice@10.0.0.5:5060", NatAlias.Add("sip:alice@10.0.0.5:5060", received));
    }

    [Fact]
    public void A_contact_that_already_names_an_alias_keeps_its_own()
    {
        const string contact = "sip:alice@10.0.0.5:5060;alias=203.0.113.1~5070~1";
        Assert.Equal(contact, NatAlias.Add(contact, "sip:198.51.100.7:40312"));
    }
}
