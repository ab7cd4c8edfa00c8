using LocationActors.Contracts.Http;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.LocDb;
using LocationActors.Domain.Registrations;
using LocationActors.Proxy.Client;
using LocationActors.Proxy.Configuration;
using LocationActors.Proxy.Service;

namespace LocationActors.Proxy.Http;

/// <summary>
/// The HTTP API of docs/http-api.md on ASP.NET Core minimal APIs. Every route goes through <see cref="ILocationService"/>
/// (as the SIP front end does), and every error answer is JSON with a reason: bad input never reaches the cluster.
/// </summary>
public static class HttpApi
{
    /// <summary>The longest contact URI the location table holds (its <c>contact</c> column).</summary>
    private const int MaxUriLength = 512;

    private static readonly ReadOnlyMemory<byte> NewLine = "\n"u8.ToArray();

    public static void MapLocationApi(this WebApplication app)
    {
        // Errors raised by the server itself (a body beyond the size limit, a malformed request) get a JSON reason too.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                var reason = e.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? $"the body is larger than {context.RequestServices.GetRequiredService<ProxySettings>().Http.MaxBodySize} bytes"
                    : e.Message;
                await Error(e.StatusCode, reason).ExecuteAsync(context);
            }
        });

        var aors = app.MapGroup("/v1/aors");
        aors.MapGet("/{aor}", LookupAsync);
        aors.MapPost("/{aor}", RegisterAsync);
        aors.MapDelete("/{aor}", RemoveAorAsync);
        aors.MapDelete("/{aor}/contacts", RemoveContactAsync);
        app.MapGet("/v1/cluster", (ILocationService service) => Results.Json(ClusterReport.From(service.View), HttpJsonContext.Default.ClusterJson));
        app.MapPost("/v1/locdb/{id:int}/{no:int}/maintenance", (int id, int no, HttpContext http, ILocationService service, ProxySettings settings, CancellationToken ct) =>
            ChangeMemberAsync(id, no, MemberChange.Maintenance, http, service, settings, ct));
        app.MapPost("/v1/locdb/{id:int}/{no:int}/activate", (int id, int no, HttpContext http, ILocationService service, ProxySettings settings, CancellationToken ct) =>
            ChangeMemberAsync(id, no, MemberChange.Activate, http, service, settings, ct));
        app.MapGet("/v1/dump", DumpAsync);
        app.MapGet("/v1/events", ChangeEvents.StreamAsync);
        app.MapGet("/health/ready", (ILocationService service) => service.View.Unready is { } reason
            ? Results.Json(new StatusJson("unavailable", reason), HttpJsonContext.Default.StatusJson, statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Json(new StatusJson("ready"), HttpJsonContext.Default.StatusJson));
        app.MapStatusPage();
        app.MapFallback(() => Error(StatusCodes.Status404NotFound, "no such route; the routes are in docs/http-api.md"));
    }

    private static async Task<IResult> LookupAsync(string aor, ILocationService service, CancellationToken ct)
    {
        var (parsed, group, invalid) = Route(aor, service);
        if (invalid is not null)
            return invalid;
        var found = await service.LookupAsync(parsed, ct: ct);
        if (found.Failure is { } failure)
            return Error(failure, parsed.Value, group);
        return found.Value!.Contacts.Count == 0
            ? Error(StatusCodes.Status404NotFound, $"{parsed} has no valid contact", parsed.Value, group)
            : Results.Json(Show(parsed, group, found.Value.Contacts), HttpJsonContext.Default.AorJson);
    }

    private static async Task<IResult> RegisterAsync(string aor, HttpContext http, ILocationService service, ProxySettings settings, CancellationToken ct)
    {
        RegisterRequestJson? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(http.Request.Body, HttpJsonContext.Default.RegisterRequestJson, ct);
        }
        catch (JsonException e)
        {
            return Error(StatusCodes.Status400BadRequest, $"the body is not the JSON of a registration ({e.Message}); see docs/http-api.md");
        }

        if (body?.Contacts is not { Count: > 0 } contacts)
            return Error(StatusCodes.Status400BadRequest, "the body needs \"contacts\": [{\"uri\": \"sip:...\"}]");
        var (parsed, group, invalid) = Route(aor, service);
        if (invalid is not null)
            return invalid;

        var updates = new List<ContactUpdate>();
        foreach (var contact in contacts)
        {
            if (Invalid(contact) is { } problem)
                return Error(StatusCodes.Status400BadRequest, problem, parsed.Value, group);
            // The registrar's rules, as for a SIP REGISTER (which answers 423 Interval Too Brief).
            if (settings.Expires.Grant(contact!.Expires) is not { } seconds)
                return Error(StatusCodes.Status400BadRequest,
                    $"expires {contact.Expires} is below min-expires ({settings.Expires.MinExpires}); ask for 0 (remove) or at least {settings.Expires.MinExpires}",
                    parsed.Value, group);
            updates.Add(new ContactUpdate(contact.Uri!, seconds,
                contact.Q is { } q ? QValue.FromThousandths((int)Math.Round(q * 1000)) : QValue.Unspecified, Instance: contact.Instance, RegId: contact.RegId ?? 0));
        }

        // A REGISTER has one Path header for all its contacts; so does a request here.
        var paths = contacts.Select(c => c!.Path).Distinct().ToList();
        if (paths.Count > 1)
            return Error(StatusCodes.Status400BadRequest, "all contacts of one request share one path (as a REGISTER's Path header)", parsed.Value, group);
        if (body.CSeq is < 0)
            return Error(StatusCodes.Status400BadRequest, $"cseq {body.CSeq} is negative", parsed.Value, group);

        var request = new RegisterRequest(parsed, updates, body.CallId is { Length: > 0 } callId ? callId : $"http-{Guid.NewGuid():N}", body.CSeq ?? 1,
            paths[0], body.UserAgent ?? "LocationActors HTTP API");
        var result = await service.RegisterAsync(request, ct);
        return result.Failure is { } failure
            ? Error(failure, parsed.Value, group)
            : Results.Json(Show(parsed, group, result.Value!.Bindings), HttpJsonContext.Default.AorJson);
    }

    private static async Task<IResult> RemoveAorAsync(string aor, ILocationService service, CancellationToken ct)
    {
        var (parsed, group, invalid) = Route(aor, service);
        if (invalid is not null)
            return invalid;
        var removed = await service.RemoveAorAsync(parsed, ct);
        return removed.Failure is { } failure
            ? Error(failure, parsed.Value, group)
            : Results.Json(new RemovedJson(parsed.Value, group, removed.Value!.Count), HttpJsonContext.Default.RemovedJson);
    }

    private static async Task<IResult> RemoveContactAsync(string aor, string? contact, ILocationService service, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(contact))
            return Error(StatusCodes.Status400BadRequest, "name the contact to remove: ?contact=sip:...");
        var (parsed, group, invalid) = Route(aor, service);
        if (invalid is not null)
            return invalid;
        var removed = await service.RemoveContactAsync(parsed, contact, ct);
        return removed.Failure is { } failure
            ? Error(failure, parsed.Value, group)
            : Results.Json(new RemovedJson(parsed.Value, group, removed.Value!.Count), HttpJsonContext.Default.RemovedJson);
    }

    private static async Task<IResult> ChangeMemberAsync(int id, int no, MemberChange change, HttpContext http, ILocationService service, ProxySettings settings,
        CancellationToken ct)
    {
        if (settings.Http.AdminToken is not { } token)
            return Error(StatusCodes.Status403Forbidden, "admin routes are off: no admin token is configured (proxy.http.admin-token, LA_ADMIN_TOKEN)");
        var given = http.Request.Headers.Authorization.ToString() is var header && header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..] : "";
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token)))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Error(StatusCodes.Status401Unauthorized, "a valid admin token is needed: Authorization: Bearer <token>");
        }

        var name = change == MemberChange.Maintenance ? "maintenance" : "activate";
        var changed = await service.ChangeMemberAsync(id, no, change, ct);
        if (changed.Failure is { } failure)
            return Error(failure);
        return changed.Value!.Found
            ? Results.Json(new MemberChangeJson(id, no, name), HttpJsonContext.Default.MemberChangeJson)
            : Error(StatusCodes.Status404NotFound, change == MemberChange.Activate
                ? $"locdb has no member ({id},{no}) that is off or in maintenance"
                : $"locdb has no member ({id},{no})");
    }

    /// <summary>NDJSON, written page by page as the groups answer: a dump of millions of contacts is never held whole.</summary>
    private static async Task DumpAsync(HttpContext http, ILocationService service, CancellationToken ct)
    {
        http.Response.ContentType = "application/x-ndjson";
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var written = 0;
        await foreach (var item in service.DumpAsync(ct))
        {
            if (item.Binding is { } b)
            {
                var contact = ContactJson.From(b, now);
                await JsonSerializer.SerializeAsync(http.Response.Body, new DumpLineJson(Aor.FromColumns(b.Username, b.Domain).Value, item.Group, item.Table,
                    contact.Uri, contact.Expires, contact.Q, contact.Path, contact.Received, contact.Instance, contact.RegId, contact.CallId, contact.CSeq,
                    contact.UserAgent, contact.Ruid, contact.LastModified), HttpJsonContext.Default.DumpLineJson, ct);
            }
            else
            {
                await JsonSerializer.SerializeAsync(http.Response.Body, new DumpErrorJson(item.Failure!.Reason, item.Group, item.Table),
                    HttpJsonContext.Default.DumpErrorJson, ct);
            }

            await http.Response.Body.WriteAsync(NewLine, ct);
            if (++written % 500 == 0)
                await http.Response.Body.FlushAsync(ct);
        }
    }

    /// <summary>The AOR of a path segment and its group, or the answer that explains why there is none.</summary>
    private static (Aor Aor, int Group, IResult? Error) Route(string text, ILocationService service)
    {
        var aor = service.ParseAor(Uri.UnescapeDataString(text));
        if (aor.Failure is { } invalid)
            return (null!, 0, Error(invalid));
        var group = service.GroupOf(aor.Value!);
        return group.Failure is { } failure ? (null!, 0, Error(failure, aor.Value!.Value)) : (aor.Value!, group.Value, null);
    }

    private static AorJson Show(Aor aor, int group, IReadOnlyList<ContactBinding> bindings)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return new AorJson(aor.Value, group, bindings.Select(b => ContactJson.From(b, now)).ToList());
    }

    private static string? Invalid(ContactRequestJson? contact)
    {
        if (contact?.Uri is not { Length: > 0 } uri)
            return "every contact needs a \"uri\"";
        if (uri.Length > MaxUriLength)
            return $"the contact URI is longer than {MaxUriLength} characters";
        if (!(uri.StartsWith("sip:", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("sips:", StringComparison.OrdinalIgnoreCase)))
            return $"'{uri}' is not a sip: or sips: URI";
        if (uri.Any(c => c <= ' ' || c > '~' || c is '<' or '>' or '"'))
            return $"'{uri}' holds a character a SIP URI cannot (spaces, quotes, angle brackets, non-ASCII)";
        if (uri[(uri.IndexOf(':') + 1)..] is var rest && (rest.Length == 0 || rest.EndsWith('@') || rest.StartsWith('@')))
            return $"'{uri}' has no host";
        if (contact.Expires is < 0)
            return $"expires {contact.Expires} is negative";
        if (contact.Q is < 0 or > 1)
            return $"q {contact.Q} is outside 0..1";
        if (contact.RegId is < 0)
            return $"regId {contact.RegId} is negative";
        return null;
    }

    private static IResult Error(Failure failure, string? aor = null, int? group = null) => failure.Kind switch
    {
        FailureKind.Invalid => Error(StatusCodes.Status400BadRequest, failure.Reason, aor, group),
        FailureKind.Refused => Error(StatusCodes.Status409Conflict, failure.Reason, aor, group),
        _ => new Unavailable(new ErrorJson(failure.Reason, aor, group)),
    };

    internal static IResult Error(int status, string reason, string? aor = null, int? group = null) =>
        Results.Json(new ErrorJson(reason, aor, group), HttpJsonContext.Default.ErrorJson, statusCode: status);

    /// <summary>503 with <c>Retry-After</c>: the cluster may well answer a second later (a group moving, a member turned off).</summary>
    private sealed class Unavailable(ErrorJson error) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = "1";
            return Results.Json(error, HttpJsonContext.Default.ErrorJson, statusCode: StatusCodes.Status503ServiceUnavailable).ExecuteAsync(httpContext);
        }
    }
}
