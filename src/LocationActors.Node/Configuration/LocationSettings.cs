using LocationActors.Cluster.Hosting;
using Akka.Configuration;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Encoding;
using LocationActors.Storage;

namespace LocationActors.Node.Configuration;

/// <summary>
/// The <c>location</c> section of <c>hocon/node.hocon</c>, read once at start and validated, so a mistake stops the
/// node with a message naming the key instead of failing later on the first request.
/// </summary>
/// <param name="ReadDbUrl">Where locdb is read (a replica of the master), or null: the master.</param>
public sealed record LocationSettings(
    DatabaseUrl MasterDbUrl,
    string LocDbTable,
    IReadOnlyList<UsrlocDomain> Domains,
    int MembersPerGroup,
    RegistrarOptions Registrar,
    StorageOptions Storage,
    DatabaseUrl? ReadDbUrl = null)
{
    public const string Section = "location";

    private const string StoragePath = Section + ".storage";

    /// <exception cref="ConfigurationException">A key is missing or invalid; the message names it.</exception>
    public static LocationSettings FromConfig(Config config)
    {
        var c = config.GetConfig(Section) ?? throw new ConfigurationException($"the '{Section}' section is missing");

        var masterUrl = Required(c, "master-db-url");
        if (!DatabaseUrl.TryParse(masterUrl, out var master, out var urlError))
            throw new ConfigurationException($"{Section}.master-db-url: {urlError}");
        DatabaseUrl? read = null;
        if (c.GetString("read-db-url", "") is { Length: > 0 } readUrl && !DatabaseUrl.TryParse(readUrl, out read, out var readError))
            throw new ConfigurationException($"{Section}.read-db-url: {readError}");

        var members = c.GetInt("members-per-group", 2);
        if (members < 1)
            throw new ConfigurationException($"{Section}.members-per-group must be at least 1, got {members}");

        var zoneId = c.GetString("time-zone", "UTC");
        DbTimeCodec times;
        try
        {
            times = DbTimeCodec.ForZone(zoneId);
        }
        catch (TimeZoneNotFoundException)
        {
            throw new ConfigurationException($"{Section}.time-zone: '{zoneId}' is not a known IANA time zone");
        }

        var defaultUrlText = c.GetString("default-db-url", "");
        var defaultUrl = master!;
        if (defaultUrlText.Length > 0 && !DatabaseUrl.TryParse(defaultUrlText, out defaultUrl, out var defaultError))
            throw new ConfigurationException($"{Section}.default-db-url: {defaultError}");
        IReadOnlyList<UsrlocDomain> domains;
        try
        {
            domains = UsrlocDomain.ParseList(c.GetString("domains", "location=cluster"), defaultUrl!);
        }
        catch (FormatException e)
        {
            throw new ConfigurationException($"{Section}.domains: {e.Message}");
        }

        var storage = c.GetConfig("storage");
        return new LocationSettings(
            master!,
            TableName(c, "locdb-table", "locdb"),
            domains,
            members,
            new RegistrarOptions(c.GetBoolean("use-domain"), c.GetBoolean("case-sensitive"), c.GetString("realm-prefix", "")),
            new StorageOptions
            {
                Times = times,
                ConnectTimeout = ConfigValues.Positive(storage, StoragePath, "connect-timeout", TimeSpan.FromSeconds(2)),
                CommandTimeout = ConfigValues.Positive(storage, StoragePath, "command-timeout", TimeSpan.FromSeconds(5)),
                ScanTimeout = ConfigValues.Positive(storage, StoragePath, "scan-timeout", TimeSpan.FromMinutes(5)),
                MaxRowsPerStatement = ConfigValues.AtLeast(storage, StoragePath, "max-rows-per-statement", 500, 1),
                StreamPageSize = ConfigValues.AtLeast(storage, StoragePath, "stream-page-size", 5000, 1),
            },
            read);
    }

    private static string Required(Config c, string key) =>
        c.GetString(key) is { Length: > 0 } value ? value : throw new ConfigurationException($"{Section}.{key} is not set");

    private static string TableName(Config c, string key, string fallback)
    {
        var name = c.GetString(key, fallback);
        return name.Length is > 0 and <= 64 && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_')
            ? name
            : throw new ConfigurationException($"{Section}.{key}: '{name}' is not a table name (letters, digits, '_')");
    }
}
