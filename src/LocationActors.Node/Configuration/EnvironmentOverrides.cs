using Akka.Configuration;
using LocationActors.Cluster.Hosting;

namespace LocationActors.Node.Configuration;

/// <summary>
/// Environment variables that override keys of <c>hocon/node.hocon</c> (see <see cref="HoconEnvironment"/>): this
/// table is the list of every variable the node reads, and each key's comment in the file names it.
/// </summary>
public static class EnvironmentOverrides
{
    public static IReadOnlyDictionary<string, string> Keys { get; } = new Dictionary<string, string>
    {
        ["LA_MASTER_DB_URL"] = "location.master-db-url",
        ["LA_READ_DB_URL"] = "location.read-db-url",
        ["LA_LOCDB_TABLE"] = "location.locdb-table",
        ["LA_DOMAINS"] = "location.domains",
        ["LA_DEFAULT_DB_URL"] = "location.default-db-url",
        ["LA_MEMBERS_PER_GROUP"] = "location.members-per-group",
        ["LA_TIME_ZONE"] = "location.time-zone",
        ["LA_USE_DOMAIN"] = "location.use-domain",
        ["LA_CASE_SENSITIVE"] = "location.case-sensitive",
        ["LA_REALM_PREFIX"] = "location.realm-prefix",
        ["LA_DB_CONNECT_TIMEOUT"] = "location.storage.connect-timeout",
        ["LA_DB_COMMAND_TIMEOUT"] = "location.storage.command-timeout",
        ["LA_DB_SCAN_TIMEOUT"] = "location.storage.scan-timeout",
        ["LA_DB_MAX_ROWS_PER_STATEMENT"] = "location.storage.max-rows-per-statement",
        ["LA_DB_STREAM_PAGE_SIZE"] = "location.storage.stream-page-size",
        ["LA_MATCHING_MODE"] = "location.groups.matching-mode",
        ["LA_MAX_CONTACTS"] = "location.groups.max-contacts",
        ["LA_CSEQ_DELAY"] = "location.groups.cseq-delay",
        ["LA_EXPIRY_INTERVAL"] = "location.groups.expiry-interval",
        ["LA_STASH_LIMIT"] = "location.groups.stash-limit",
        ["LA_MAX_BATCH_ROWS"] = "location.groups.max-batch-rows",
        ["LA_WARM_UP_RETRY"] = "location.groups.warm-up-retry",
        ["LA_SHARED_DATABASES"] = "location.groups.shared-databases",
        ["LA_KEEPALIVE_INTERVAL"] = "location.keepalive.interval",
        ["LA_KEEPALIVE_MAX_MISSED"] = "location.keepalive.max-missed",
        ["LA_KEEPALIVE_MAX_RATE"] = "location.keepalive.max-rate",
        ["LA_KEEPALIVE_REPLY_TIMEOUT"] = "location.keepalive.reply-timeout",
        ["LA_LOCDB_POLL_INTERVAL"] = "location.cluster-config.poll-interval",
        ["LA_NODE_HTTP"] = "location.http.endpoint",
        ["LA_DB_ERR_THRESHOLD"] = "location.failover.db-err-threshold",
        ["LA_DB_RETRY_INTERVAL"] = "location.failover.db-retry-interval",
        ["LA_DB_STATEMENT_DEADLINE"] = "location.failover.statement-deadline",
        ["LA_FAILOVER_LEVEL"] = "location.failover.failover-level",
        ["LA_WRITE_POLICY"] = "location.failover.write-policy",
        ["LA_LOG_LEVEL"] = "akka.loglevel",
        ["LA_NODE_HOST"] = "akka.remote.dot-netty.tcp.hostname",
        ["LA_NODE_PORT"] = "akka.remote.dot-netty.tcp.port",
        ["LA_NODE_PUBLIC_HOST"] = "akka.remote.dot-netty.tcp.public-hostname",
        ["LA_SEED_NODES"] = "akka.cluster.seed-nodes",
    };

    /// <summary>Keys whose value is a list, given comma-separated in the environment.</summary>
    public static IReadOnlySet<string> ListKeys { get; } = new HashSet<string> { "akka.cluster.seed-nodes" };

    /// <summary>The config with every set variable's value in place of its key's.</summary>
    public static Config Apply(Config config, Func<string, string?>? environment = null) =>
        HoconEnvironment.Apply(config, Keys, ListKeys, environment);
}
