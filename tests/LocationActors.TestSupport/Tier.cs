namespace LocationActors.TestSupport;

/// <summary>
/// The test tiers, as xUnit traits (<c>[Trait(Tier.Name, Tier.Unit)]</c>): what a test needs besides the process it
/// runs in. <c>scripts/test.sh --fast</c> runs the Unit tier alone (no server, about a minute); the README's test
/// command runs every tier. Select one with <c>dotnet test --filter Tier=Db</c>.
/// </summary>
public static class Tier
{
    public const string Name = "Tier";

    /// <summary>Nothing outside the test process: pure logic, actors on the TestKit, embedded SQLite files, the repository's files.</summary>
    public const string Unit = "Unit";

    /// <summary>Real MariaDB and PostgreSQL servers on loopback (scripts/mariadb.sh, scripts/postgres.sh).</summary>
    public const string Db = "Db";

    /// <summary>Real node and proxy processes (and MariaDB), killed and restarted for real, or other programs the tests run.</summary>
    public const string Process = "Process";

    /// <summary>A real Kamailio with p_usrloc beside LocationActors on the same databases.</summary>
    public const string Kamailio = "Kamailio";
}
