using LocationActors.TestSupport;

namespace LocationActors.Storage.Tests;

/// <summary>Tests that share the real MariaDB servers (xunit wants the definition in the test assembly).</summary>
[CollectionDefinition(Name)]
public sealed class MariaDbCollection : ICollectionFixture<MariaDbServers>
{
    public const string Name = "MariaDB";
}
