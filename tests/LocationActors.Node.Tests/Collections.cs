using LocationActors.TestSupport;

namespace LocationActors.Node.Tests;

/// <summary>Tests that share the real MariaDB servers.</summary>
[CollectionDefinition(Name)]
public sealed class MariaDbCollection : ICollectionFixture<MariaDbServers>
{
    public const string Name = "MariaDB";
}

/// <summary>
/// Tests that kill, freeze and restart MariaDB servers: they use the dedicated instances (3 to 5) and run one at a
/// time, beside the tests of the shared ones.
/// </summary>
[CollectionDefinition(Name)]
public sealed class DedicatedMariaDbCollection : ICollectionFixture<MariaDbServers>
{
    public const string Name = "MariaDB, dedicated instances";
}
