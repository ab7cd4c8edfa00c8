using LocationActors.Contracts.Http;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LocationActors.Cli.Http;
using Spectre.Console;

namespace LocationActors.Cli.Commands;

/// <summary>
/// <c>locctl dump [--format ndjson|table]</c>: every contact of every group (GET /v1/dump), written as the lines
/// arrive — the body is never held whole. <c>ndjson</c> copies the proxy's lines; <c>table</c> prints aligned
/// columns. A group that cannot answer ends the stream with an error line: its message goes to stderr and the exit
/// code is 3. With stderr on a terminal and stdout redirected, a live count runs on stderr.
/// </summary>
internal static class DumpCommand
{
    private const string Ndjson = "ndjson";
    private const string Table = "table";

    public static Command Create(Streams streams)
    {
        var format = new Option<string>("--format", "-f") { Description = "ndjson: the proxy's lines as they are; table: aligned columns", DefaultValueFactory = _ => Ndjson };
        format.AcceptOnlyFromAmong(Ndjson, Table);

        var command = ProxyOptions.CreateCommand("dump", "print every contact of every group, streamed (exit 3 when a group cannot answer)", streams,
            async (result, client, cancel) =>
            {
                var dump = new Dump(streams.Output, result.GetValue(format) == Table);
                // A live display and stdout's lines cannot share one terminal: the count runs only when stdout goes elsewhere.
                if (streams.ErrorIsTerminal && !streams.OutputIsTerminal)
                {
                    var console = streams.ErrorConsole();
                    await console.Status().StartAsync("dumping: 0 contacts", status => dump.RunAsync(client, cancel, status));
                    console.MarkupLine(Markup.Escape($"dumped {dump.Count} contact(s) of {dump.Groups} group(s)"));
                }
                else
                    await dump.RunAsync(client, cancel, null);

                foreach (var error in dump.Errors)
                    await streams.Error.WriteLineAsync($"locctl: the dump is incomplete: {error}");
                return dump.Errors.Count == 0 ? LocCtl.Ok : LocCtl.Unavailable;
            });
        command.Add(format);
        return command;
    }

    private sealed class Dump(TextWriter output, bool table)
    {
        private const int ProgressEvery = 500;
        private int? _lastGroup;

        public long Count { get; private set; }
        public int Groups { get; private set; }
        public List<string> Errors { get; } = [];

        public async Task RunAsync(ProxyClient client, CancellationToken cancel, StatusContext? status)
        {
            if (table)
                await output.WriteLineAsync(Row("AOR", "GROUP", "URI", "EXPIRES", "Q"));

            await foreach (var line in client.StreamLinesAsync("v1/dump", cancel))
            {
                DumpLineJson parsed;
                try
                {
                    // A line is a contact, or an error that ends the group's part of the stream.
                    using var json = JsonDocument.Parse(line);
                    if (json.RootElement.TryGetProperty("error", out _))
                    {
                        var failed = json.Deserialize(HttpJsonContext.Default.DumpErrorJson) ?? throw new JsonException("null");
                        Errors.Add(ProxyClient.OneLine($"{failed.Error} (group {failed.Group})"));
                        continue;
                    }

                    parsed = json.Deserialize(HttpJsonContext.Default.DumpLineJson) ?? throw new JsonException("null");
                }
                catch (JsonException)
                {
                    Errors.Add($"the proxy sent a line that is not JSON after {Count} contact(s); retry");
                    continue;
                }

                Count++;
                if (parsed.Group != _lastGroup)
                    (_lastGroup, Groups) = (parsed.Group, Groups + 1);
                await output.WriteLineAsync(table ? RowOf(parsed) : line);
                if (status is not null && Count % ProgressEvery == 0)
                    status.Status = $"dumping: {Count} contacts, group {parsed.Group}";
            }
        }

        private static string RowOf(DumpLineJson line) => Row(
            line.Aor,
            line.Group.ToString(CultureInfo.InvariantCulture),
            line.Uri,
            line.Expires == 0 ? "permanent" : line.Expires.ToString(CultureInfo.InvariantCulture),
            line.Q is { } q ? LookupCommand.Q(q) : "");

        // Fixed widths keep the columns aligned while streaming; a longer value pushes the rest of its row.
        private static string Row(string aor, string group, string uri, string expires, string q) =>
            $"{aor,-24} {group,5}  {uri,-44} {expires,9}  {q}".TrimEnd();
    }
}
