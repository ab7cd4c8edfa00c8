using LocationActors.Contracts.Http;
using System.CommandLine;
using LocationActors.Cli.Http;

namespace LocationActors.Cli.Commands;

/// <summary>
/// <c>locctl db maintenance|activate &lt;id&gt; &lt;no&gt;</c>: takes a <c>locdb</c> member out of all traffic, or gives
/// it back (POST /v1/locdb/{id}/{no}/maintenance|activate). Admin routes: they send the bearer token.
/// </summary>
internal static class DbCommand
{
    public static Command Create(Streams streams) => new("db", "operate the locdb members of the location groups (needs the admin token)")
    {
        Change(streams, "maintenance", "put a member in maintenance: it leaves all traffic within one locdb poll"),
        Change(streams, "activate", "take a member out of maintenance: it is turned on when it answers, and resynchronised"),
    };

    private static Command Change(Streams streams, string change, string description)
    {
        var id = new Argument<int>("id") { Description = "the location group (locdb id)" };
        var no = new Argument<int>("no") { Description = "the member of the group (locdb no)" };
        var command = ProxyOptions.CreateCommand(change, description, streams, async (result, client, cancel) =>
        {
            var (group, member) = (result.GetValue(id), result.GetValue(no));
            if (group < 1 || member < 1)
                throw new CommandFailure(LocCtl.InvalidInput, $"id and no must be at least 1 (got {group} {member}); see them with locctl status");

            var done = await client.SendAsync(HttpMethod.Post, $"v1/locdb/{group}/{member}/{change}", HttpJsonContext.Default.MemberChangeJson, cancel, admin: true);
            await streams.Output.WriteLineAsync($"locdb group {done.Id} member {done.No}: {done.Change}");
            return LocCtl.Ok;
        });
        command.Add(id);
        command.Add(no);
        return command;
    }
}
