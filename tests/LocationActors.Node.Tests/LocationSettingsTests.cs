using Akka.Configuration;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Node.Configuration;
using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Node.Tests;

/// <summary>
/// The shipped HOCON and its overrides. The environment is handed in as a lookup (process variables are shared by
/// every test running at the same time); <see cref="CheckCommandTests"/> runs the real binary with real variables.
/// </summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class LocationSettingsTests : IDisposable
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    private readonly string _folder = Directory.CreateTempSubdirectory("la-hocon-").FullName;

    private static Func<string, string?> Environment(Dictionary<string, string> variables) => name => variables.GetValueOrDefault(name);

    [Fact]
    public void The_shipped_file_parses_and_its_defaults_are_the_codes()
    {
        var settings = LocationSettings.FromConfig(NodeConfig.Load(environment: NoEnvironment));

        Assert.Equal("sqlite://data/master.db", settings.MasterDbUrl.Original);
        Assert.Equal(("locdb", 2), (settings.LocDbTable, settings.MembersPerGroup));
        Assert.Equal([new UsrlocDomain("location", DomainKind.Cluster)], settings.Domains);
        Assert.Equal(RegistrarOptions.Default, settings.Registrar);
        var defaults = StorageOptions.Default;
        Assert.Equal(TimeZoneInfo.Utc, settings.Storage.Times.Zone);
        Assert.Equal((defaults.ConnectTimeout, defaults.CommandTimeout, defaults.ScanTimeout, defaults.MaxRowsPerStatement, defaults.StreamPageSize),
            (settings.Storage.ConnectTimeout, settings.Storage.CommandTimeout, settings.Storage.ScanTimeout, settings.Storage.MaxRowsPerStatement, settings.Storage.StreamPageSize));
    }

    [Fact]
    public void Environment_variables_override_the_file()
    {
        var environment = Environment(new()
        {
            ["LA_MASTER_DB_URL"] = "mysql://kamailio:secret@db-master:3306/kamailio",
            ["LA_MEMBERS_PER_GROUP"] = "3",
            ["LA_USE_DOMAIN"] = "on",
            ["LA_REALM_PREFIX"] = "sip.",
            ["LA_TIME_ZONE"] = "Europe/Berlin",
            ["LA_DB_COMMAND_TIMEOUT"] = "750ms",
            ["LA_DB_SCAN_TIMEOUT"] = "2m",
            ["LA_DOMAINS"] = "location=cluster,cfa=single",
        });

        var settings = LocationSettings.FromConfig(NodeConfig.Load(environment: environment));

        Assert.Equal(("db-master", "kamailio"), (settings.MasterDbUrl.Host, settings.MasterDbUrl.Database));
        Assert.Equal(3, settings.MembersPerGroup);
        Assert.Equal(new RegistrarOptions(UseDomain: true, RealmPrefix: "sip."), settings.Registrar);
        Assert.Equal("Europe/Berlin", settings.Storage.Times.Zone.Id);
        Assert.Equal(TimeSpan.FromMilliseconds(750), settings.Storage.CommandTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), settings.Storage.ScanTimeout);
        Assert.Equal([new UsrlocDomain("location", DomainKind.Cluster), new UsrlocDomain("cfa", DomainKind.Single, settings.MasterDbUrl)],
            settings.Domains); // a single domain without a url lives on the default database, the master by default
    }

    [Fact]
    public void Every_variable_wins_over_the_shipped_file()
    {
        // Each variable alone, set to a value the file does not hold: its key reads that value.
        foreach (var (variable, path) in EnvironmentOverrides.Keys)
        {
            var config = NodeConfig.Load(environment: name => name == variable ? $"from-{variable},second" : null);

            if (EnvironmentOverrides.ListKeys.Contains(path))
                Assert.Equal([$"from-{variable}", "second"], config.GetStringList(path));
            else
                Assert.Equal($"from-{variable},second", config.GetString(path));
        }
    }

    [Fact]
    public void Another_file_can_be_named_by_the_environment()
    {
        var path = Write("location { master-db-url = \"mysql://u:p@h/db\", members-per-group = 4 }");
        var environment = Environment(new() { [NodeConfig.PathVariable] = path });

        Assert.Equal(4, LocationSettings.FromConfig(NodeConfig.Load(environment: environment)).MembersPerGroup);
    }

    [Theory]
    [InlineData("location { master-db-url = \"oracle://x/y\" }", "location.master-db-url: ")]
    [InlineData("location { master-db-url = \"\" }", "location.master-db-url is not set")]
    [InlineData("location { master-db-url = \"sqlite://x.db\", members-per-group = 0 }", "members-per-group must be at least 1")]
    [InlineData("location { master-db-url = \"sqlite://x.db\", time-zone = \"Mars/Olympus\" }", "'Mars/Olympus' is not a known IANA time zone")]
    [InlineData("location { master-db-url = \"sqlite://x.db\", domains = \"loc;drop=cluster\" }", "location.domains: 'loc;drop' is not a table name")]
    [InlineData("location { master-db-url = \"sqlite://x.db\", domains = \"location=spread\" }", "type 'spread' is neither cluster nor single")]
    [InlineData("location { master-db-url = \"sqlite://x.db\", domains = \"cfa=single;oracle://x/y\" }", "domain cfa: ")]
    [InlineData("location { master-db-url = \"sqlite://x.db\", default-db-url = \"nope\" }", "location.default-db-url: ")]
    [InlineData("location { master-db-url = \"sqlite://x.db\", storage.command-timeout = 0s }", "command-timeout must be positive")]
    [InlineData("location { master-db-url = \"sqlite://x.db\", storage.stream-page-size = 0 }", "stream-page-size must be at least 1")]
    [InlineData("other { }", "the 'location' section is missing")]
    public void Invalid_settings_name_the_key(string hocon, string message)
    {
        var error = Assert.Throws<ConfigurationException>(() => LocationSettings.FromConfig(NodeConfig.Load(Write(hocon), NoEnvironment)));
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("groups.matching-mode = contactt", "location.groups.matching-mode: 'contactt' is not contact, contact-callid or contact-path")]
    [InlineData("groups.expiry-interval = 0s", "location.groups.expiry-interval must be positive")]
    [InlineData("groups.max-contacts = -1", "location.groups.max-contacts must be at least 0")]
    [InlineData("cluster-config.poll-interval = 0s", "location.cluster-config.poll-interval must be positive")]
    [InlineData("failover.db-err-threshold = 0", "location.failover.db-err-threshold must be at least 1")]
    [InlineData("failover.failover-level = 3", "location.failover.failover-level must be 1 (turn off) or 2 (spare)")]
    [InlineData("failover.write-policy = most", "location.failover.write-policy: 'most' is not all-active, majority or one")]
    public void Invalid_group_settings_name_the_key(string setting, string message)
    {
        var hocon = $"location {{ master-db-url = \"sqlite://x.db\", {setting} }}";
        var error = Assert.Throws<ConfigurationException>(() => NodeSettings.FromConfig(NodeConfig.Load(Write(hocon), NoEnvironment)));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void The_shipped_group_settings_are_the_codes_defaults()
    {
        var settings = NodeSettings.FromConfig(NodeConfig.Load(environment: NoEnvironment));

        Assert.Equal(LocationActors.Domain.Registrations.RegistrarSettings.Default, settings.Groups.Registrar);
        Assert.Equal((TimeSpan.FromSeconds(30), 10_000, 1000, TimeSpan.FromSeconds(2)),
            (settings.Groups.Expiry, settings.Groups.StashLimit, settings.Groups.MaxBatchRows, settings.Groups.Retry));
        Assert.Equal(TimeSpan.FromSeconds(3), settings.ClusterConfig.Poll);
        Assert.Equal((50, TimeSpan.FromSeconds(10)), (settings.Groups.ErrorThreshold, settings.Groups.Watch));
    }

    [Fact]
    public void A_missing_file_is_a_clear_error()
    {
        var path = Path.Combine(_folder, "none.hocon");
        var error = Assert.Throws<ConfigurationException>(() => NodeConfig.Load(path, NoEnvironment));
        Assert.Equal($"configuration file {path} not found (set {NodeConfig.PathVariable} or --config)", error.Message);
    }

    [Fact]
    public void Every_variable_is_documented_on_the_key_it_overrides()
    {
        // Each key's comment ends with "Environment: VAR." right above the key; the table must say the same.
        var lines = File.ReadAllLines(NodeConfig.DefaultPath);
        var documented = new Dictionary<string, string>();
        var path = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.EndsWith('{'))
                path.Add(line.TrimEnd('{', ' '));
            else if (line == "}")
                path.RemoveAt(path.Count - 1);
            else if (line.StartsWith("# Environment: "))
                documented[line["# Environment: ".Length..].TrimEnd('.')] = string.Join('.', path.Append(lines[i + 1].Trim().Split(' ')[0]));
        }

        Assert.Equal(EnvironmentOverrides.Keys.OrderBy(k => k.Key), documented.OrderBy(k => k.Key));
    }

    [Fact]
    public void Values_with_quotes_and_braces_stay_values()
    {
        var config = EnvironmentOverrides.Apply(NodeConfig.Load(environment: NoEnvironment),
            name => name == "LA_REALM_PREFIX" ? "a\" } location { members-per-group = 9 } x { y = \"" : null);

        var settings = LocationSettings.FromConfig(config);
        Assert.Equal("a\" } location { members-per-group = 9 } x { y = \"", settings.Registrar.RealmPrefix);
        Assert.Equal(2, settings.MembersPerGroup);
    }

    private string Write(string hocon)
    {
        var path = Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".hocon");
        File.WriteAllText(path, hocon);
        return path;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
