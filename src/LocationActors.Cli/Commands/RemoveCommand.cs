using LocationActors.Contracts.Http;
using System.CommandLine;
using LocationActors.Cli.Http;

namespace LocationActors.Cli.Commands;

/// <summary>
/// <c>locctl rm &lt;aor&gt; [contact]</c>: removes every binding of an AOR (DELETE /v1/aors/{aor}), or only those of
/// one contact URI (DELETE /v1/aors/{aor}/contacts?contact=…).
/// </summary>
internal static class RemoveCommand
{
    public static Command Create(Streams streams)
    {
        var aor = LookupCommand.AorArgument();
        var contact = new Argument<string?>("contact") { Description = "remove only the bindings of this contact URI", Arity = ArgumentArity.ZeroOrOne };

        var command = ProxyOptions.CreateCommand("rm", "remove the bindings of an AOR, or of one of its contacts", streams,
            async (result, client, cancel) =>
            {
                var path = LookupCommand.AorPath(result.GetValue(aor));
                if (result.GetValue(contact) is { } uri)
                {
                    if (string.IsNullOrWhiteSpace(uri))
                        throw new CommandFailure(LocCtl.InvalidInput, "the contact is empty; give its URI, or leave it out to remove every binding");
                    path += $"/contacts?contact={Uri.EscapeDataString(uri)}";
                }

                var removed = await client.SendAsync(HttpMethod.Delete, path, HttpJsonContext.Default.RemovedJson, cancel);
                await streams.Output.WriteLineAsync($"removed {removed.Removed} binding(s)");
                return LocCtl.Ok;
            });
        command.Add(aor);
        command.Add(contact);
        return command;
    }
}
