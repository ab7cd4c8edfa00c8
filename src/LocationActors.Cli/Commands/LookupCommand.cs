using LocationActors.Contracts.Http;
using System.CommandLine;
using System.Globalization;
using LocationActors.Cli.Http;

namespace LocationActors.Cli.Commands;

/// <summary>
/// <c>locctl lookup &lt;aor&gt;</c>: the contacts of an AOR in lookup order (GET /v1/aors/{aor}), one per line. An AOR
/// without a valid contact exits with 1.
/// </summary>
internal static class LookupCommand
{
    public static Command Create(Streams streams)
    {
        var aor = AorArgument();
        var command = ProxyOptions.CreateCommand("lookup", "print the contacts of an AOR, one per line (exit 1 when it has none)", streams,
            async (result, client, cancel) =>
            {
                var bindings = await client.SendAsync(HttpMethod.Get, AorPath(result.GetValue(aor)), HttpJsonContext.Default.AorJson, cancel);
                await WriteAsync(streams.Output, bindings);
                return LocCtl.Ok;
            });
        command.Add(aor);
        return command;
    }

    internal static Argument<string> AorArgument() =>
        new("aor") { Description = "AOR as stored (alice, alice@example.com) or SIP URI (sip:alice@example.com)" };

    /// <summary>v1/aors/{aor}, the AOR URL-encoded (a SIP URI has ':' and '@').</summary>
    internal static string AorPath(string? aor) => string.IsNullOrWhiteSpace(aor)
        ? throw new CommandFailure(LocCtl.InvalidInput, "the AOR is empty; give a user (alice) or a SIP URI (sip:alice@example.com)")
        : $"v1/aors/{Uri.EscapeDataString(aor)}";

    /// <summary>One line per contact: uri, then q, expires, path, instance and ruid when set.</summary>
    internal static async Task WriteAsync(TextWriter output, AorJson bindings)
    {
        foreach (var contact in bindings.Contacts ?? [])
            await output.WriteLineAsync(Line(contact));
    }

    internal static string Line(ContactJson contact)
    {
        var line = new List<string> { contact.Uri };
        if (contact.Q is { } q)
            line.Add($"q={Q(q)}");
        line.Add(contact.Expires == 0 ? "expires=permanent" : $"expires={contact.Expires.ToString(CultureInfo.InvariantCulture)}");
        if (!string.IsNullOrEmpty(contact.Path))
            line.Add($"path={contact.Path}");
        if (!string.IsNullOrEmpty(contact.Instance))
            line.Add($"instance={contact.Instance}");
        if (!string.IsNullOrEmpty(contact.Ruid))
            line.Add($"ruid={contact.Ruid}");
        return string.Join(' ', line);
    }

    internal static string Q(double q) => q.ToString("0.###", CultureInfo.InvariantCulture);
}
