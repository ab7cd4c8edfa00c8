using Akka.Configuration;
using LocationActors.Cluster.Hosting;

namespace LocationActors.Proxy.Configuration;

/// <summary>Finds and parses the proxy's HOCON file; environment variables named in it override its values.</summary>
public static class ProxyConfig
{
    /// <summary>Environment variable naming another configuration file.</summary>
    public const string PathVariable = "LA_PROXY_CONFIG";

    /// <summary>Every variable the proxy reads, and the key it overrides (each key's comment in the file names it).</summary>
    public static IReadOnlyDictionary<string, string> Variables { get; } = new Dictionary<string, string>
    {
        ["LA_CONTACT_POINTS"] = "proxy.cluster.contact-points",
        ["LA_ATTEMPT_TIMEOUT"] = "proxy.cluster.attempt-timeout",
        ["LA_REQUEST_TIMEOUT"] = "proxy.cluster.request-timeout",
        ["LA_MAX_IN_FLIGHT"] = "proxy.cluster.max-in-flight",
        ["LA_CLUSTER_REFRESH_INTERVAL"] = "proxy.cluster.refresh-interval",
        ["LA_ROUTE_TO_GROUP_NODE"] = "proxy.cluster.route-to-group-node",
        ["LA_MASTER_DB_URL"] = "proxy.member-reads.master-db-url",
        ["LA_LOCDB_TABLE"] = "proxy.member-reads.locdb-table",
        ["LA_MEMBER_READ_AFTER"] = "proxy.member-reads.after",
        ["LA_HTTP_ENDPOINT"] = "proxy.http.endpoint",
        ["LA_ADMIN_TOKEN"] = "proxy.http.admin-token",
        ["LA_HTTP_MAX_BODY_SIZE"] = "proxy.http.max-body-size",
        ["LA_DEFAULT_EXPIRES"] = "proxy.registrar.default-expires",
        ["LA_MIN_EXPIRES"] = "proxy.registrar.min-expires",
        ["LA_MAX_EXPIRES"] = "proxy.registrar.max-expires",
        ["LA_DEFAULT_EXPIRES_RANGE"] = "proxy.registrar.default-expires-range",
        ["LA_EXPIRES_RANGE"] = "proxy.registrar.expires-range",
        ["LA_SIP_ENABLED"] = "proxy.sip.enabled",
        ["LA_SIP_ENDPOINT"] = "proxy.sip.endpoint",
        ["LA_SIP_MAX_MESSAGE_SIZE"] = "proxy.sip.max-message-size",
        ["LA_SIP_MAX_PENDING"] = "proxy.sip.max-pending",
        ["LA_SIP_SET_RECEIVED"] = "proxy.sip.set-received",
        ["LA_SIP_SOCKET_COLUMN"] = "proxy.sip.socket-column",
        ["LA_SIP_RETRY_AFTER"] = "proxy.sip.retry-after",
        ["LA_SIP_RETRY_AFTER_RANGE"] = "proxy.sip.retry-after-range",
        ["LA_SIP_REDIRECT_ALIAS"] = "proxy.sip.redirect-alias",
        ["LA_SIP_PATH_MODE"] = "proxy.sip.path-mode",
        ["LA_LOG_LEVEL"] = "akka.loglevel",
        ["LA_PROXY_HOST"] = "akka.remote.dot-netty.tcp.hostname",
        ["LA_PROXY_PORT"] = "akka.remote.dot-netty.tcp.port",
        ["LA_PROXY_PUBLIC_HOST"] = "akka.remote.dot-netty.tcp.public-hostname",
    };

    private static readonly HashSet<string> ListKeys = ["proxy.cluster.contact-points"];

    /// <summary>The shipped file, copied next to the binary.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "hocon", "proxy.hocon");

    /// <summary>Loads <paramref name="path"/>, or the file the environment names, or the shipped one; then applies overrides.</summary>
    /// <exception cref="ConfigurationException">The file is missing or does not parse; the message names the file.</exception>
    public static Config Load(string? path = null, Func<string, string?>? environment = null) =>
        HoconEnvironment.Load(path, PathVariable, DefaultPath, Variables, ListKeys, environment);
}
