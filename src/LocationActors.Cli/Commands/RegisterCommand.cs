using LocationActors.Contracts.Http;
using System.CommandLine;
using System.Net.Http.Json;
using LocationActors.Cli.Http;

namespace LocationActors.Cli.Commands;

/// <summary>
/// <c>locctl register &lt;aor&gt; &lt;contact&gt; [--expires N] [--q Q]</c>: binds a contact as a SIP REGISTER would
/// (POST /v1/aors/{aor}) and prints the AOR's bindings after it. Unset options are left to the proxy (expires 3600).
/// </summary>
internal static class RegisterCommand
{
    public static Command Create(Streams streams)
    {
        var aor = LookupCommand.AorArgument();
        var contact = new Argument<string>("contact") { Description = "the contact URI (sip:alice@192.0.2.10:5060)" };
        var expires = new Option<long?>("--expires") { HelpName = "seconds", Description = "seconds the binding lasts; 0 removes it (the proxy's default: 3600)" };
        var q = new Option<double?>("--q") { Description = "the contact's q value, 0 to 1" };

        var command = ProxyOptions.CreateCommand("register", "register a contact for an AOR and print its bindings", streams,
            async (result, client, cancel) =>
            {
                var uri = result.GetValue(contact);
                if (string.IsNullOrWhiteSpace(uri))
                    throw new CommandFailure(LocCtl.InvalidInput, "the contact is empty; give a SIP URI such as sip:alice@192.0.2.10:5060");
                var seconds = result.GetValue(expires);
                if (seconds < 0)
                    throw new CommandFailure(LocCtl.InvalidInput, $"--expires must be 0 (remove) or more seconds (got {seconds})");
                var value = result.GetValue(q);
                if (value is < 0 or > 1 || (value is { } v && double.IsNaN(v)))
                    throw new CommandFailure(LocCtl.InvalidInput, $"--q must be between 0 and 1 (got {LookupCommand.Q(value!.Value)})");

                var body = JsonContent.Create(new RegisterRequestJson([new ContactRequestJson(uri, seconds, value, null, null, null)], null, null, null), HttpJsonContext.Default.RegisterRequestJson);
                var bindings = await client.SendAsync(HttpMethod.Post, LookupCommand.AorPath(result.GetValue(aor)), HttpJsonContext.Default.AorJson, cancel, body);
                await LookupCommand.WriteAsync(streams.Output, bindings);
                return LocCtl.Ok;
            });
        command.Add(aor);
        command.Add(contact);
        command.Add(expires);
        command.Add(q);
        return command;
    }
}
