using LocationActors.Cluster.Hosting;
using System.Net;
using Akka.Configuration;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.DbHandles;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Registrations;

namespace LocationActors.Node.Configuration;

/// <summary>Everything a running node needs beyond <see cref="LocationSettings"/>: how its groups and its locdb mirror behave.</summary>
/// <param name="Http">Where /metrics and /health answer; port 0: a free port, taken at start.</param>
public sealed record NodeSettings(LocationSettings Location, LocationGroupSettings Groups, ClusterConfigSettings ClusterConfig, IPEndPoint Http)
{
    private const string GroupsPath = "location.groups";
    private const string FailoverPath = "location.failover";

    private static WritePolicy Policy(Config? failover)
    {
        var text = failover?.GetString("write-policy", "all-active") ?? "all-active";
        return text switch
        {
            "all-active" => WritePolicy.AllActive,
            "majority" => WritePolicy.Majority,
            "one" => WritePolicy.One,
            _ => throw new ConfigurationException($"{FailoverPath}.write-policy: '{text}' is not all-active, majority or one"),
        };
    }

    private const string KeepalivePath = "location.keepalive";

    private static KeepaliveSettings Keepalive(Config? section)
    {
        var interval = section?.GetTimeSpan("interval", TimeSpan.Zero) ?? TimeSpan.Zero;
        if (interval < TimeSpan.Zero || interval.Ticks % TimeSpan.TicksPerSecond != 0)
            throw new ConfigurationException($"{KeepalivePath}.interval must be whole seconds (0s: off), got {interval}");
        if (interval == TimeSpan.Zero)
            return KeepaliveSettings.Off;
        var reply = ConfigValues.Positive(section, KeepalivePath, "reply-timeout", TimeSpan.FromSeconds(4));
        if (reply >= interval)
            reply = interval / 2; // a short interval (tests, a lab) with the default timeout: the answer must come before the next ping
        return new KeepaliveSettings(interval, ConfigValues.AtLeast(section, KeepalivePath, "max-missed", 3, 1),
            ConfigValues.AtLeast(section, KeepalivePath, "max-rate", 1000, 1), reply);
    }

    private static int FailoverLevel(Config? failover)
    {
        var level = failover?.GetInt("failover-level", 1) ?? 1;
        return level is 1 or 2 ? level : throw new ConfigurationException($"{FailoverPath}.failover-level must be 1 (turn off) or 2 (spare), got {level}");
    }

    /// <exception cref="ConfigurationException">A key is invalid; the message names it.</exception>
    public static NodeSettings FromConfig(Config config)
    {
        var location = LocationSettings.FromConfig(config);
        var groups = config.GetConfig(GroupsPath);
        var failover = config.GetConfig(FailoverPath);
        var matching = groups?.GetString("matching-mode", "contact") ?? "contact";
        var registrar = new RegistrarSettings(
            matching switch
            {
                "contact" => MatchingMode.Contact,
                "contact-callid" => MatchingMode.ContactAndCallId,
                "contact-path" => MatchingMode.ContactAndPath,
                _ => throw new ConfigurationException($"location.groups.matching-mode: '{matching}' is not contact, contact-callid or contact-path"),
            },
            ConfigValues.AtLeast(groups, GroupsPath, "max-contacts", 0, 0),
            (int)ConfigValues.Positive(groups, GroupsPath, "cseq-delay", TimeSpan.FromSeconds(20)).TotalSeconds);

        return new NodeSettings(
            location,
            new LocationGroupSettings(
                registrar,
                location.MembersPerGroup,
                location.Storage,
                UsrlocDomain.DefaultTable, // each group entity gets its own table (NodeHost)
                ConfigValues.Positive(groups, GroupsPath, "expiry-interval", TimeSpan.FromSeconds(30)),
                ConfigValues.AtLeast(groups, GroupsPath, "stash-limit", 10_000, 1),
                ConfigValues.AtLeast(groups, GroupsPath, "max-batch-rows", 1000, 1),
                ConfigValues.Positive(groups, GroupsPath, "warm-up-retry", TimeSpan.FromSeconds(2)),
                ConfigValues.AtLeast(failover, FailoverPath, "db-err-threshold", 50, 1),
                ConfigValues.Positive(failover, FailoverPath, "db-retry-interval", TimeSpan.FromSeconds(10)),
                Policy(failover),
                groups?.GetBoolean("shared-databases", false) ?? false,
                ConfigValues.Positive(failover, FailoverPath, "statement-deadline", DbHandle.DefaultStatementDeadline),
                Keepalive(config.GetConfig(KeepalivePath))),
            new ClusterConfigSettings(location.MasterDbUrl, location.LocDbTable, location.Storage,
                ConfigValues.Positive(config.GetConfig("location.cluster-config"), "location.cluster-config", "poll-interval", TimeSpan.FromSeconds(3)), location.Domains,
                FailoverLevel(failover), location.ReadDbUrl),
            HttpEndpoint(config.GetString("location.http.endpoint", "127.0.0.1:0")));
    }

    private static IPEndPoint HttpEndpoint(string text) => IPEndPoint.TryParse(text, out var endpoint)
        ? endpoint
        : throw new ConfigurationException($"location.http.endpoint: '{text}' is not ip:port (e.g. 127.0.0.1:9464, or port 0 for a free one)");
}
