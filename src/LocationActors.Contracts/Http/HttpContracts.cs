using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using LocationActors.Domain.Contacts;

namespace LocationActors.Contracts.Http;

// The JSON shapes of docs/http-api.md, one record per shape: the proxy writes them, locctl reads them.

/// <summary>A binding as the HTTP API shows it; <see cref="Expires"/> is the number of seconds left (0 = permanent).</summary>
public sealed record ContactJson(
    string Uri, long Expires, double? Q, string? Path, string? Received, string? Instance, int RegId, string CallId,
    [property: JsonPropertyName("cseq")] int CSeq, string UserAgent, string Ruid, string LastModified)
{
    public static ContactJson From(ContactBinding b, long now) => new(
        b.Contact, b.IsPermanent ? 0 : Math.Max(0, b.Expires - now), b.Q.IsSpecified ? b.Q.Thousandths / 1000.0 : null, b.Path, b.Received,
        b.Instance, b.RegId, b.CallId, b.CSeq, b.UserAgent, b.Ruid, Iso(b.LastModified));

    public static string Iso(long unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

public sealed record AorJson(string Aor, int Group, IReadOnlyList<ContactJson> Contacts);

public sealed record RemovedJson(string Aor, int Group, int Removed);

public sealed record ErrorJson(string Error, string? Aor = null, int? Group = null);

/// <summary>A contact to register; only <see cref="Uri"/> is required.</summary>
public sealed record ContactRequestJson(string? Uri, long? Expires, double? Q, string? Path, string? Instance, int? RegId);

/// <summary>The body of <c>POST /v1/aors/{aor}</c>.</summary>
public sealed record RegisterRequestJson(IReadOnlyList<ContactRequestJson?>? Contacts, string? CallId,
    [property: JsonPropertyName("cseq")] int? CSeq, string? UserAgent);

/// <summary>A cluster node; <see cref="Http"/> is where it answers /metrics and /health (host:port), null for a node that does not say.</summary>
public sealed record NodeJson(string Address, string Status, IReadOnlyList<string> Roles, string? Http = null)
{
    /// <summary>The cluster role a node names its HTTP endpoint with: <c>http:host:port</c>.</summary>
    public const string HttpRolePrefix = "http:";

    /// <summary>A node as its cluster roles describe it: the HTTP role becomes <see cref="Http"/>.</summary>
    public static NodeJson From(string address, string status, IReadOnlyList<string> roles) => new(address, status,
        roles.Where(r => !r.StartsWith(HttpRolePrefix, StringComparison.Ordinal)).ToList(),
        roles.FirstOrDefault(r => r.StartsWith(HttpRolePrefix, StringComparison.Ordinal))?[HttpRolePrefix.Length..]);
}

public sealed record DomainJson(string Table, bool Partitioned, int GroupCount);

public sealed record MemberJson(int No, string Url, string Status, int Errors, string? Failover, bool Spare, int RiskGroup, bool Active, bool Readable);

public sealed record GroupJson(
    string Table, int Id, string? Node, string State, int? Aors, long? Contacts, int? MembersTurnedOff, int? Resyncs, IReadOnlyList<MemberJson> Members,
    string? Problem);

public sealed record ClusterJson(
    IReadOnlyList<NodeJson> Nodes, [property: JsonPropertyName("locdbKnown")] bool LocDbKnown, bool MasterDown, IReadOnlyList<DomainJson> Domains, IReadOnlyList<GroupJson> Groups, string? Problem);

public sealed record MemberChangeJson(int Id, int No, string Change);

public sealed record StatusJson(string Status, string? Reason = null);

/// <summary>
/// The data of one event of <c>GET /v1/events</c>: what happened to which contact. <see cref="Kind"/> is the SSE event
/// name too: inserted, refreshed, removed, expired or keepalive-failed.
/// </summary>
/// <param name="Expires">The contact's expiry as Unix seconds (0: permanent).</param>
/// <param name="At">When the group stored the change, in Unix milliseconds.</param>
/// <param name="Group">The group, as <c>table/id</c>.</param>
public sealed record ContactEventJson(string Kind, string Aor, string Uri, string Ruid, long Expires, string? Received, string? Path, string? Instance,
    long At, string Group);

/// <summary>One line of <c>GET /v1/dump</c>: a binding with its AOR, group and table.</summary>
public sealed record DumpLineJson(
    string Aor, int Group, string Table, string Uri, long Expires, double? Q, string? Path, string? Received, string? Instance, int RegId,
    string CallId, [property: JsonPropertyName("cseq")] int CSeq, string UserAgent, string Ruid, string LastModified);

public sealed record DumpErrorJson(string Error, int Group, string Table);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AorJson))]
[JsonSerializable(typeof(RemovedJson))]
[JsonSerializable(typeof(ErrorJson))]
[JsonSerializable(typeof(RegisterRequestJson))]
[JsonSerializable(typeof(ClusterJson))]
[JsonSerializable(typeof(MemberChangeJson))]
[JsonSerializable(typeof(StatusJson))]
[JsonSerializable(typeof(DumpLineJson))]
[JsonSerializable(typeof(ContactEventJson))]
[JsonSerializable(typeof(DumpErrorJson))]
public sealed partial class HttpJsonContext : JsonSerializerContext;
