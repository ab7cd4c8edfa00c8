using Akka.Configuration;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Registrations;

namespace LocationActors.Node.Configuration;

/// <summary>Everything a running node needs beyond <see cref="LocationSettings"/>: how its groups and its locdb mirror behave.</summary>
public sealed record NodeSettings(LocationSettings Location, LocationGroupSettings Groups, ClusterConfigSettings ClusterConfig)
{
    /// <exception cref="ConfigurationException">A key is invalid; the message names it.</exception>
    public static NodeSettings FromConfig(Config config)
    {
        var location = LocationSettings.FromConfig(config);
        var groups = config.GetConfig("location.groups");
        var matching = groups?.GetString("matching-mode", "contact") ?? "contact";
        var registrar = new RegistrarSettings(
            matching switch
            {
                "contact" => MatchingMode.Contact,
                "contact-callid" => MatchingMode.ContactAndCallId,
                "contact-path" => MatchingMode.ContactAndPath,
                _ => throw new ConfigurationException($"location.groups.matching-mode: '{matching}' is not contact, contact-callid or contact-path"),
            },
            AtLeast(groups, "max-contacts", 0, 0),
            (int)Positive(groups, "cseq-delay", TimeSpan.FromSeconds(20)).TotalSeconds);

        return new NodeSettings(
            location,
            new LocationGroupSettings(
                registrar,
                location.MembersPerGroup,
                location.Storage,
                UsrlocDomain.DefaultTable, // each group entity gets its own table (NodeHost)
                Positive(groups, "expiry-interval", TimeSpan.FromSeconds(30)),
                AtLeast(groups, "stash-limit", 10_000, 1),
                AtLeast(groups, "max-batch-rows", 1000, 1),
                Positive(groups, "warm-up-retry", TimeSpan.FromSeconds(2))),
            new ClusterConfigSettings(location.MasterDbUrl, location.LocDbTable, location.Storage,
                Positive(config.GetConfig("location.cluster-config"), "poll-interval", TimeSpan.FromSeconds(3)), location.Domains));
    }

    private static TimeSpan Positive(Config? c, string key, TimeSpan fallback)
    {
        var value = c?.GetTimeSpan(key, fallback) ?? fallback;
        return value > TimeSpan.Zero ? value : throw new ConfigurationException($"location: {key} must be positive, got {value}");
    }

    private static int AtLeast(Config? c, string key, int fallback, int minimum)
    {
        var value = c?.GetInt(key, fallback) ?? fallback;
        return value >= minimum ? value : throw new ConfigurationException($"location: {key} must be at least {minimum}, got {value}");
    }
}
