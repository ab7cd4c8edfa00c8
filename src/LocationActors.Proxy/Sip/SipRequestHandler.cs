using System.Globalization;
using System.Net;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;
using LocationActors.Proxy.Configuration;
using LocationActors.Proxy.Service;
using LocationActors.Sip;

namespace LocationActors.Proxy.Sip;

/// <summary>Where a request came from: its transport, the sender's address and the local socket it arrived on.</summary>
public sealed record SipSource(string Transport, IPEndPoint Remote, IPEndPoint Local);

/// <summary>The status and headers of an answer; the server builds the message (Via, From, To, ... copied).</summary>
public sealed record SipAnswer(int Status, string? Reason, IReadOnlyList<(string Name, string Value)> Headers)
{
    public static SipAnswer Of(int status, string? reason = null, params (string Name, string Value)[] headers) => new(status, reason, headers);
}

/// <summary>
/// The location service over SIP: a registrar (REGISTER, RFC 3261 §10.3, with Kamailio's registrar rules applied by
/// the location groups) and a redirect server (any request for a user is answered <c>302</c> with the user's
/// contacts in lookup order, <c>404</c> without any, <c>480</c> while the cluster cannot answer). Async all the way:
/// a request waits on the cluster, the listener never does.
/// </summary>
public sealed class SipRequestHandler(ILocationService service, ExpiresRules expires, SipOptions options)
{
    /// <summary>The extensions a request may require: Path (RFC 3327) is stored and returned.</summary>
    private static readonly HashSet<string> Supported = new(StringComparer.OrdinalIgnoreCase) { "path" };

    private const string Allow = "INVITE, ACK, CANCEL, OPTIONS, REGISTER, MESSAGE, SUBSCRIBE, NOTIFY, REFER, INFO, UPDATE, PRACK, PUBLISH";

    /// <summary>The answer to <paramref name="request"/>, or null for requests that get none (ACK).</summary>
    public async Task<SipAnswer?> HandleAsync(SipRequest request, SipSource source, CancellationToken ct = default)
    {
        if (request.Method == "ACK")
            return null;
        if (request.HeaderValues("Require").Where(r => !Supported.Contains(r)).ToList() is { Count: > 0 } unsupported)
            return SipAnswer.Of(420, null, ("Unsupported", string.Join(", ", unsupported)));
        if (request.Header("Max-Forwards") is "0" && request.Method != "OPTIONS")
            return SipAnswer.Of(483);

        return request.Method switch
        {
            "REGISTER" => await RegisterAsync(request, source, ct),
            "CANCEL" => SipAnswer.Of(481), // a CANCEL that matches a transaction is answered by the transaction layer
            "OPTIONS" when request.RequestUri.User is null => SipAnswer.Of(200, null, ("Allow", Allow), ("Accept", "application/sdp"),
                ("Supported", "path")),
            _ when request.RequestUri.User is null => SipAnswer.Of(404, "Not Found (no user in the Request-URI)"),
            _ => await RedirectAsync(request, ct),
        };
    }

    // ---- registrar ------------------------------------------------------------------------------------------

    private async Task<SipAnswer> RegisterAsync(SipRequest request, SipSource source, CancellationToken ct)
    {
        var aor = service.ParseAor(request.To.Uri.Raw);
        if (aor.Failure is { } invalid)
            return Failed(invalid, "To");

        var paths = request.HeaderValues("Path");
        var path = paths.Count > 0 ? string.Join(",", paths) : null;
        // RFC 3327 §5.3: a Path is echoed only to a phone that supports it; strict refuses the others (Kamailio path_mode).
        var supportsPath = request.HeaderValues("Supported").Concat(request.HeaderValues("Require"))
            .Any(option => option.Equals("path", StringComparison.OrdinalIgnoreCase));
        if (path is not null && !supportsPath && options.PathMode == PathMode.Strict)
            return SipAnswer.Of(420, null, ("Unsupported", "path"), ("Path", path));
        // Behind an edge proxy the packet's source is the edge: the phone's own source is what the edge wrote into the
        // Path it added (add_path_received(): ";received=sip:IP:PORT"), as Kamailio's registrar reads it with
        // path_use_received. Without that parameter nothing is taken for received.
        var pathReceived = paths.Count > 0 ? ReceivedFromPath(paths[0]) : null;
        List<ContactUpdate> updates = [];
        if (request.ContactStar)
        {
            // RFC 3261 §10.3 step 6: "*" only with Expires: 0.
            if (request.Expires is not 0)
                return SipAnswer.Of(400, "Bad Request (Contact: * needs Expires: 0)");
        }
        else
        {
            foreach (var contact in request.Contacts)
            {
                if (expires.Grant(contact.Expires ?? request.Expires) is not { } seconds)
                    return SipAnswer.Of(423, null, ("Min-Expires", expires.MinExpires.ToString(CultureInfo.InvariantCulture)));
                updates.Add(new ContactUpdate(contact.Uri.Raw, seconds, contact.Q is { } q ? QValue.FromThousandths(q) : QValue.Unspecified,
                    path is null ? Received(contact, source) : pathReceived, Unquoted(contact.Instance), contact.RegId ?? 0));
            }
        }

        var registration = new RegisterRequest(aor.Value!, updates, request.CallId, (int)request.CSeq.Number, path, request.Header("User-Agent") ?? "",
            options.SocketColumn, request.ContactStar);
        var result = await service.RegisterAsync(registration, ct);
        if (result.Failure is { } failure)
            return Failed(failure, "REGISTER");

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var headers = result.Value!.Bindings.Select(b => ("Contact", ContactOf(b, now))).ToList();
        if (path is not null && supportsPath && options.PathMode != PathMode.Off)
            headers.Add(("Path", path));
        return new SipAnswer(200, null, headers);
    }

    /// <summary>The source address when it is not where the Contact points (a phone behind NAT): Kamailio's <c>received</c>.</summary>
    private string? Received(ContactValue contact, SipSource source)
    {
        if (!options.SetReceived)
            return null;
        var host = contact.Uri.Host.Trim('[', ']');
        var port = contact.Uri.Port ?? 5060;
        if (IPAddress.TryParse(host, out var address) && address.Equals(source.Remote.Address) && port == source.Remote.Port)
            return null;
        var ip = source.Remote.Address.ToString();
        var text = $"sip:{(source.Remote.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip)}:{source.Remote.Port}";
        return source.Transport == "UDP" ? text : $"{text};transport={source.Transport.ToLowerInvariant()}";
    }

    /// <summary>The <c>received</c> parameter of the Path entry the edge added (the first), unescaped; null when absent.</summary>
    private string? ReceivedFromPath(string firstPath) =>
        options.SetReceived && SipHeaderNames.ParseNameAddress(firstPath)?.Uri.Parameter("received") is { Length: > 0 } received &&
        Uri.UnescapeDataString(received.Trim('"')) is var unescaped && unescaped.StartsWith("sip:", StringComparison.OrdinalIgnoreCase)
            ? unescaped
            : null;

    /// <summary>+sip.instance is stored without its quotes, as Kamailio's registrar stores it.</summary>
    private static string? Unquoted(string? value) =>
        value is { Length: >= 2 } && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;

    // ---- redirect server ------------------------------------------------------------------------------------

    private async Task<SipAnswer> RedirectAsync(SipRequest request, CancellationToken ct)
    {
        var uri = request.RequestUri;
        var aor = service.ParseAor(uri.Scheme == "tel" ? uri.User! : uri.Raw);
        if (aor.Failure is { } invalid)
            return Failed(invalid, "Request-URI");
        var found = await service.LookupAsync(aor.Value!, ct: ct);
        if (found.Failure is { } failure)
            return failure.Kind == FailureKind.Unavailable
                ? SipAnswer.Of(480, null, ("Retry-After", options.RetryAfter().ToString(CultureInfo.InvariantCulture)), Warning(failure.Reason))
                : Failed(failure, "Request-URI");
        if (found.Value!.Contacts.Count == 0)
            return SipAnswer.Of(404);
        // The q of each contact is given when it was registered with one; the order is the lookup's (Kamailio's).
        return new SipAnswer(302, null, found.Value.Contacts.Select(b => ("Contact", Redirected(b))).ToList());
    }

    private string Redirected(ContactBinding binding)
    {
        var uri = options.RedirectAlias ? NatAlias.Add(binding.Contact, binding.Received) : binding.Contact;
        return binding.Q.IsSpecified ? $"<{uri}>;q={Q(binding.Q)}" : $"<{uri}>";
    }

    private static string ContactOf(ContactBinding binding, long now)
    {
        var left = binding.IsPermanent ? 0 : Math.Max(0, binding.Expires - now);
        var text = $"<{binding.Contact}>;expires={left}";
        if (binding.Q.IsSpecified)
            text += $";q={Q(binding.Q)}";
        if (binding.Instance is not null)
            text += $";+sip.instance=\"{binding.Instance}\"";
        if (binding.RegId > 0)
            text += $";reg-id={binding.RegId}";
        return text;
    }

    /// <summary>Why the cluster could not answer, for the operator reading a trace (RFC 3261 §20.43, code 399: miscellaneous).</summary>
    private static (string, string) Warning(string reason) =>
        ("Warning", $"399 {SipResponses.ServerName} \"{new string(reason.Where(c => c is not ('"' or '\\') && !char.IsControl(c)).Take(200).ToArray())}\"");

    private static string Q(QValue q) => (q.Thousandths / 1000.0).ToString("0.0##", CultureInfo.InvariantCulture);

    private SipAnswer Failed(Failure failure, string where) => failure switch
    {
        { Kind: FailureKind.Unavailable } => SipAnswer.Of(503, null, ("Retry-After", options.RetryAfter().ToString(CultureInfo.InvariantCulture)),
            Warning(failure.Reason)),
        { Rejection: RegisterRejection.TooManyContacts } => SipAnswer.Of(503, "Too Many Registered Contacts"),
        _ => SipAnswer.Of(400, $"Bad Request ({where}: {failure.Reason})"),
    };
}
