using LocationActors.Contracts.Http;
using System.CommandLine;
using LocationActors.Cli.Http;
using Spectre.Console;

namespace LocationActors.Cli.Commands;

/// <summary>
/// <c>locctl status</c>: the cluster as the proxy sees it (GET /v1/cluster), printed as a tree like Kamailio's
/// "Printing tree" of locdb: the nodes, then each location group with its state and counts, and under it its
/// <c>locdb</c> members.
/// </summary>
internal static class StatusCommand
{
    public static Command Create(Streams streams) =>
        ProxyOptions.CreateCommand("status", "print the cluster's nodes, location groups and their locdb members as a tree", streams,
            async (_, client, cancel) =>
            {
                var state = await client.SendAsync(HttpMethod.Get, "v1/cluster", HttpJsonContext.Default.ClusterJson, cancel);
                streams.OutConsole().Write(TreeOf(state, client.BaseUrl.AbsoluteUri.TrimEnd('/')));
                return LocCtl.Ok;
            });

    internal static Tree TreeOf(ClusterJson state, string proxy)
    {
        var tree = new Tree(Markup.Escape($"cluster via {proxy}"));
        if (!state.LocDbKnown)
            tree.AddNode("[yellow]warning: the cluster has not read locdb yet, so no group serves; check that the master database answers[/]");
        if (state.MasterDown)
            tree.AddNode("[yellow]warning: the master database (locdb) does not answer: these are the last good rows, and member changes wait for it[/]");

        var nodes = tree.AddNode($"nodes ({state.Nodes?.Count ?? 0})");
        foreach (var node in state.Nodes ?? [])
            nodes.AddNode(Markup.Escape($"{node.Address} {node.Status} roles={string.Join(',', node.Roles ?? [])}"));

        foreach (var domain in state.Domains ?? [])
            tree.AddNode(Markup.Escape($"table {domain.Table}: {(domain.Partitioned ? "partitioned" : "not partitioned")}, {domain.GroupCount} group(s)"));

        foreach (var group in state.Groups ?? [])
        {
            var where = group.Node is null ? "" : $" on {group.Node}";
            var counts = group.Aors is null ? "" : $", {group.Aors} AORs, {group.Contacts ?? 0} contacts";
            if (group.MembersTurnedOff is > 0)
                counts += $", {group.MembersTurnedOff} member(s) turned off";
            if (group.Resyncs is > 0)
                counts += $", {group.Resyncs} resync(s)";
            var stateText = Colour(group.State, group.State == "serving" ? "green" : "red");
            var line = tree.AddNode($"{Markup.Escape($"group {group.Id} ({group.Table}){where}: ")}{stateText}{Markup.Escape(counts)}");
            foreach (var member in group.Members ?? [])
            {
                var status = Colour(member.Status, member.Status switch { "on" => "green", "off" => "red", _ => "yellow" });
                var flags = (member.Spare ? " spare" : "") + (member.Active ? " active" : "") + (member.Readable ? " readable" : "");
                line.AddNode($"{Markup.Escape($"no {member.No} {member.Url} ")}{status}"
                             + Markup.Escape($" errors={member.Errors} failover={member.Failover ?? "-"}{flags}"));
            }
        }

        return tree;
    }

    private static string Colour(string text, string colour) => $"[{colour}]{Markup.Escape(text)}[/]";
}
