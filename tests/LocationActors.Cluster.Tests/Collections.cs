using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

/// <summary>Tests that share the real MariaDB servers.</summary>
[CollectionDefinition(Name)]
public sealed class MariaDbCollection : ICollectionFixture<MariaDbServers>
{
    public const string Name = "MariaDB";
}
