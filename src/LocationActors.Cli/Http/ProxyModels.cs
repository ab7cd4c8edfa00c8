using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocationActors.Cli.Http;

// The proxy's JSON, as docs/http-api.md describes it (camelCase). Only what locctl shows or sends is typed.

/// <summary>A binding of an AOR. <c>Expires</c> is the seconds left (0 = permanent).</summary>
internal sealed record Contact(
    string Uri, long Expires, double? Q = null, string? Path = null, string? Received = null, string? Instance = null,
    int RegId = 0, string? CallId = null, long Cseq = 0, string? UserAgent = null, string? Ruid = null, string? LastModified = null);

/// <summary>GET and POST /v1/aors/{aor}.</summary>
internal sealed record AorBindings(string Aor, int Group, IReadOnlyList<Contact>? Contacts);

/// <summary>DELETE /v1/aors/{aor} and /v1/aors/{aor}/contacts.</summary>
internal sealed record RemovedBindings(string Aor, int Group, int Removed);

/// <summary>The body of POST /v1/aors/{aor}: unset fields are left out, so the proxy's defaults apply.</summary>
internal sealed record RegisterRequest(IReadOnlyList<ContactRequest> Contacts);

internal sealed record ContactRequest(string Uri, long? Expires, double? Q);

/// <summary>GET /v1/cluster.</summary>
internal sealed record ClusterState(
    IReadOnlyList<NodeState>? Nodes, bool LocdbKnown, bool MasterDown, IReadOnlyList<DomainState>? Domains, IReadOnlyList<GroupState>? Groups);

internal sealed record NodeState(string Address, string Status, IReadOnlyList<string>? Roles);

internal sealed record DomainState(string Table, bool Partitioned, int GroupCount);

/// <summary>A group that did not answer has state <c>unavailable</c> and no counts.</summary>
internal sealed record GroupState(
    string Table, int Id, string? Node, string State, int? Aors, int? Contacts, int? MembersTurnedOff, int? Resyncs,
    IReadOnlyList<MemberState>? Members);

/// <summary>A <c>locdb</c> row: <c>Status</c> is on, off or maintenance; <c>Failover</c> the last switch (ISO 8601), null when reset.</summary>
internal sealed record MemberState(
    int No, string Url, string Status, int Errors, string? Failover, bool Spare, int RiskGroup, bool Active, bool Readable);

/// <summary>POST /v1/locdb/{id}/{no}/maintenance|activate.</summary>
internal sealed record LocDbChange(int Id, int No, string Change);

/// <summary>A line of GET /v1/dump: a contact with its AOR, group and table, or an error that ends the stream.</summary>
internal sealed record DumpLine(
    string? Aor, int? Group, string? Table, string? Uri, long? Expires, double? Q, string? Error);

/// <summary>Every error answer, and the error line of a dump.</summary>
internal sealed record ErrorAnswer(string? Error);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AorBindings))]
[JsonSerializable(typeof(RemovedBindings))]
[JsonSerializable(typeof(RegisterRequest))]
[JsonSerializable(typeof(ClusterState))]
[JsonSerializable(typeof(LocDbChange))]
[JsonSerializable(typeof(DumpLine))]
[JsonSerializable(typeof(ErrorAnswer))]
internal sealed partial class ProxyJson : JsonSerializerContext;
