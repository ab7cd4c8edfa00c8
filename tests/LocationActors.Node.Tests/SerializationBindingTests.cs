using Akka.Actor;
using Akka.Configuration;
using LocationActors.Cluster.Serialization;
using LocationActors.Node.Configuration;
using LocationActors.TestSupport;

namespace LocationActors.Node.Tests;

/// <summary>The shipped HOCON binds every protocol message to the protocol serializer (not Akka's Newtonsoft default).</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class SerializationBindingTests
{
    [Fact]
    public async Task Every_protocol_message_uses_the_protocol_serializer_under_the_shipped_hocon()
    {
        var config = ConfigurationFactory.ParseString("akka.actor.provider = local\nakka.extensions = []\nakka.coordinated-shutdown.exit-clr = off")
            .WithFallback(NodeConfig.Load(environment: _ => null));
        using var system = ActorSystem.Create("binding-check", config);
        try
        {
            Assert.NotEmpty(LocationProtocolSerializer.MessageTypes);
            foreach (var type in LocationProtocolSerializer.MessageTypes)
                Assert.IsType<LocationProtocolSerializer>(system.Serialization.FindSerializerForType(type));
        }
        finally
        {
            await system.Terminate();
        }
    }
}
