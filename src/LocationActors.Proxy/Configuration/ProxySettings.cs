using LocationActors.Domain.Registrations;
using System.Net;
using Akka.Actor;
using Akka.Configuration;
using LocationActors.Cluster.Hosting;
using LocationActors.Storage;

namespace LocationActors.Proxy.Configuration;

/// <summary>How the proxy reaches the cluster (read from <c>proxy.cluster</c>).</summary>
/// <param name="ContactPoints">Receptionists of the nodes to contact first.</param>
/// <param name="AttemptTimeout">One attempt of a request; then it is sent again.</param>
/// <param name="RequestTimeout">The whole request, attempts included; then the caller hears "unavailable".</param>
/// <param name="MaxInFlight">Requests towards the cluster at most; beyond it callers hear "unavailable" at once.</param>
/// <param name="RefreshInterval">How often the cluster's state is read.</param>
/// <param name="RouteToGroupNode">Send a group's requests first to the receptionist of the node hosting the group.</param>
public sealed record ClusterClientOptions(
    IReadOnlyList<ActorPath> ContactPoints,
    TimeSpan AttemptTimeout,
    TimeSpan RequestTimeout,
    int MaxInFlight,
    TimeSpan RefreshInterval,
    bool RouteToGroupNode = true);

/// <summary>The HTTP API (read from <c>proxy.http</c>).</summary>
/// <param name="AdminToken">Bearer token of the admin routes; null: they answer 403.</param>
public sealed record HttpOptions(IPEndPoint Endpoint, string? AdminToken, long MaxBodySize);

/// <summary>The SIP front end (read from <c>proxy.sip</c>).</summary>
/// <param name="SetReceived">Store the source address as <c>received</c> when it differs from the Contact's host.</param>
/// <param name="SocketColumn">
/// What a REGISTER stores in the <c>socket</c> column: null (the default) or a Kamailio socket (<c>udp:10.0.0.5:5060</c>).
/// The column names the socket of the Kamailio that reads the row, from which it sends to the contact; our own
/// listener is no socket of any Kamailio, which would refuse it once per row it reads ("non-local socket").
/// </param>
/// <param name="RedirectAlias">A 302 names a contact's <c>received</c> as <c>;alias=IP~PORT~PROTO</c> in its URI (<see cref="LocationActors.Sip.NatAlias"/>).</param>
/// <param name="PathMode">What the registrar does with a Path when the phone did not say <c>Supported: path</c> (Kamailio's <c>path_mode</c>).</param>
/// <param name="RetryAfterRange">Percent (0–100) by which a 503/480's Retry-After is raised at random above <paramref name="RetryAfterSeconds"/>.</param>
public sealed record SipOptions(bool Enabled, IPEndPoint Endpoint, int MaxMessageSize, int MaxPending, bool SetReceived, int RetryAfterSeconds,
    string? SocketColumn = null, bool RedirectAlias = true, PathMode PathMode = PathMode.Lazy, int RetryAfterRange = 0)
{
    /// <summary>
    /// The Retry-After of one answer: <see cref="RetryAfterSeconds"/> plus up to <see cref="RetryAfterRange"/> percent
    /// of it, in whole seconds, so the phones a group failover turned away do not all come back in the same second.
    /// </summary>
    public int RetryAfter(Random? random = null) =>
        RetryAfterSeconds + (random ?? Random.Shared).Next((RetryAfterSeconds * RetryAfterRange / 100) + 1);
}

/// <summary>
/// A REGISTER with a Path (RFC 3327) from a phone that did not list <c>path</c> in Supported: Kamailio's registrar
/// <c>path_mode</c> 0, 1 and 2. The Path is stored in every mode but strict's refusal.
/// </summary>
public enum PathMode
{
    /// <summary>Stored, never echoed in the 200 (Kamailio 0).</summary>
    Off,

    /// <summary>Stored; echoed in the 200 only when the phone supports it (Kamailio 1; RFC 3327 §5.3).</summary>
    Lazy,

    /// <summary>Refused with 420 and <c>Unsupported: path</c> unless the phone supports it (Kamailio 2).</summary>
    Strict,
}

/// <summary>Lookups read from a member when the cluster does not answer in time (read from <c>proxy.member-reads</c>).</summary>
/// <param name="MasterDbUrl">Where locdb is read, with the member URLs and credentials; null: no member reads.</param>
public sealed record MemberReadOptions(DatabaseUrl? MasterDbUrl, string LocDbTable, TimeSpan After)
{
    public static MemberReadOptions Off { get; } = new(null, "locdb", TimeSpan.FromMilliseconds(500));
}

/// <summary>Everything the proxy reads from its HOCON.</summary>
public sealed record ProxySettings(ClusterClientOptions Cluster, HttpOptions Http, ExpiresRules Expires, SipOptions Sip, MemberReadOptions? MemberReads = null)
{
    public long DefaultExpires => Expires.DefaultExpires;

    private const string ClusterPath = "proxy.cluster";
    private const string HttpPath = "proxy.http";

    /// <exception cref="ConfigurationException">A key is invalid; the message names it.</exception>
    public static ProxySettings FromConfig(Config config)
    {
        var cluster = config.GetConfig(ClusterPath);
        var contactPoints = (cluster?.GetStringList("contact-points") ?? []).Select(ReceptionistOf).ToList();
        if (contactPoints.Count == 0)
            throw new ConfigurationException($"{ClusterPath}.contact-points is empty: name at least one node (LA_CONTACT_POINTS)");
        var attempt = ConfigValues.Positive(cluster, ClusterPath, "attempt-timeout", TimeSpan.FromSeconds(1));
        var request = ConfigValues.Positive(cluster, ClusterPath, "request-timeout", TimeSpan.FromSeconds(25));
        if (request < attempt)
            throw new ConfigurationException($"{ClusterPath}.request-timeout ({request}) is shorter than attempt-timeout ({attempt})");

        var http = config.GetConfig(HttpPath);
        var endpointText = http?.GetString("endpoint", "127.0.0.1:8080") ?? "127.0.0.1:8080";
        if (!IPEndPoint.TryParse(endpointText, out var endpoint) || endpoint.Port == 0)
            throw new ConfigurationException($"{HttpPath}.endpoint '{endpointText}' is not an address:port such as 127.0.0.1:8080 (LA_HTTP_ENDPOINT)");
        var token = http?.GetString("admin-token", "") is { Length: > 0 } t ? t : null;
        var maxBody = http?.GetLong("max-body-size", 65536) ?? 65536;
        if (maxBody < 1024)
            throw new ConfigurationException($"{HttpPath}.max-body-size must be at least 1024 bytes, got {maxBody}");

        var defaultExpires = config.GetLong("proxy.registrar.default-expires", 3600);
        if (defaultExpires <= 0)
            throw new ConfigurationException($"proxy.registrar.default-expires must be positive, got {defaultExpires}");
        var minExpires = config.GetLong("proxy.registrar.min-expires", 60);
        var maxExpires = config.GetLong("proxy.registrar.max-expires", 0);
        if (minExpires < 0 || maxExpires < 0 || (maxExpires > 0 && maxExpires < minExpires))
            throw new ConfigurationException($"proxy.registrar: min-expires ({minExpires}) and max-expires ({maxExpires}) must be >= 0, and max-expires 0 or >= min-expires");
        var registrar = config.GetConfig("proxy.registrar");
        var defaultExpiresRange = ConfigValues.Percent(registrar, "proxy.registrar", "default-expires-range", 0);
        var expiresRange = ConfigValues.Percent(registrar, "proxy.registrar", "expires-range", 0);

        var reads = config.GetConfig("proxy.member-reads");
        var masterText = reads?.GetString("master-db-url", "") ?? "";
        DatabaseUrl? master = null;
        if (masterText.Length > 0 && !DatabaseUrl.TryParse(masterText, out master, out var masterError))
            throw new ConfigurationException($"proxy.member-reads.master-db-url: {masterError} (LA_MASTER_DB_URL)");
        var memberReads = new MemberReadOptions(master, reads?.GetString("locdb-table", "locdb") ?? "locdb",
            ConfigValues.Positive(reads, "proxy.member-reads", "after", TimeSpan.FromMilliseconds(500)));

        var sip = config.GetConfig("proxy.sip");
        var sipText = sip?.GetString("endpoint", "127.0.0.1:5060") ?? "127.0.0.1:5060";
        if (!IPEndPoint.TryParse(sipText, out var sipEndpoint) || sipEndpoint.Port == 0)
            throw new ConfigurationException($"proxy.sip.endpoint '{sipText}' is not an address:port such as 127.0.0.1:5060 (LA_SIP_ENDPOINT)");

        return new ProxySettings(
            new ClusterClientOptions(contactPoints, attempt, request,
                ConfigValues.AtLeast(cluster, ClusterPath, "max-in-flight", 20_000, 1),
                ConfigValues.Positive(cluster, ClusterPath, "refresh-interval", TimeSpan.FromSeconds(2)),
                cluster?.GetBoolean("route-to-group-node", true) ?? true),
            new HttpOptions(endpoint, token, maxBody),
            new ExpiresRules(defaultExpires, minExpires, maxExpires, defaultExpiresRange, expiresRange),
            new SipOptions(sip?.GetBoolean("enabled", true) ?? true, sipEndpoint,
                ConfigValues.AtLeast(sip, "proxy.sip", "max-message-size", 65535, 1024),
                ConfigValues.AtLeast(sip, "proxy.sip", "max-pending", 20_000, 1),
                sip?.GetBoolean("set-received", true) ?? true,
                ConfigValues.AtLeast(sip, "proxy.sip", "retry-after", 5, 1),
                SocketColumn(sip?.GetString("socket-column", "") ?? ""),
                sip?.GetBoolean("redirect-alias", true) ?? true,
                PathModeOf(sip?.GetString("path-mode", "lazy") ?? "lazy"),
                ConfigValues.Percent(sip, "proxy.sip", "retry-after-range", 100)),
            memberReads);
    }

    private static PathMode PathModeOf(string value) => value.ToLowerInvariant() switch
    {
        "off" or "0" => PathMode.Off,
        "lazy" or "1" => PathMode.Lazy,
        "strict" or "2" => PathMode.Strict,
        _ => throw new ConfigurationException($"proxy.sip.path-mode '{value}' is none of off, lazy, strict (Kamailio's path_mode 0, 1, 2) (LA_SIP_PATH_MODE)"),
    };

    /// <summary>Kamailio's socket form <c>proto:host:port</c>, or empty for NULL.</summary>
    private static string? SocketColumn(string value)
    {
        if (value.Length == 0)
            return null;
        var match = System.Text.RegularExpressions.Regex.Match(value, @"^(udp|tcp|tls|sctp|ws|wss):(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+):(\d{1,5})$");
        if (!match.Success || int.Parse(match.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture) is < 1 or > 65535 ||
            value.Length > Domain.Contacts.LocationColumns.Socket)
            throw new ConfigurationException(
                $"proxy.sip.socket-column '{value}' is not a Kamailio socket such as udp:10.0.0.5:5060 (LA_SIP_SOCKET_COLUMN); leave it empty to store NULL");
        return value;
    }

    private static ActorPath ReceptionistOf(string node)
    {
        if (!ActorPath.TryParse($"{node.TrimEnd('/')}/system/receptionist", out var path) || path.Address.Host is null)
            throw new ConfigurationException($"{ClusterPath}.contact-points: '{node}' is not a node address such as akka.tcp://location@127.0.0.1:4053");
        return path;
    }
}
