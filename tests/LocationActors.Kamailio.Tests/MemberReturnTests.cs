using System.Text.Json;
using LocationActors.Chaos;
using LocationActors.Cli;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.LocDb;
using LocationActors.Domain.Partitioning;
using LocationActors.TestSupport;
using Xunit.Abstractions;

namespace LocationActors.Kamailio.Tests;

/// <summary>
/// A member database leaves traffic and returns while Kamailio p_usrloc and LocationActors both write: maintenance
/// ended with <c>locctl db activate</c>, a SIGKILLed server, a frozen one. Phones register, refresh and unregister
/// through both systems throughout; afterwards every acknowledged registration must be found through both, every
/// acknowledged removal must stay removed, and the two members of each group must hold the same rows — including the
/// users Kamailio registered before LocationActors started, which LocationActors never touched.
/// </summary>
[Collection(MixedDeploymentCollection.Name)]
[Trait(Tier.Name, Tier.Kamailio)]
public sealed class MemberReturnTests(MixedDeployment deployment, ITestOutputHelper output)
{
    private static readonly TimeSpan ReturnTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_member_in_maintenance_while_both_systems_register_returns_with_locctl_activate_and_loses_no_user()
    {
        var phones = await Phones.RegisterAsync(deployment, "mnt", 400);
        var resyncs = await ResyncsAsync();

        Assert.Equal(0, await LocctlAsync("db", "maintenance", "1", "1"));
        await UntilAsync("LocationActors takes member (1,1) out of traffic", async () => !await ActiveAsync(1, 1));
        await phones.ChurnAsync(TimeSpan.FromSeconds(6));

        // The return: writes go on while the member comes back and catches up.
        using (phones.ChurnInBackground())
        {
            Assert.Equal(0, await LocctlAsync("db", "activate", "1", "1"));
            await UntilReturnedAsync(resyncs, (1, 1));
        }

        await AssertNothingLostAsync(phones);
    }

    [Fact]
    public async Task A_member_server_killed_while_both_systems_write_returns_complete()
    {
        var phones = await Phones.RegisterAsync(deployment, "kil", 400);
        var resyncs = await ResyncsAsync();
        var host = MixedDeployment.HostOf((1, 1)); // holds (1,1) and (2,2)

        using (phones.ChurnInBackground())
        {
            await deployment.Servers.ControlAsync("kill", host);
            try
            {
                await UntilAsync("LocationActors turns the killed members off", async () => !await ActiveAsync(1, 1) && !await ActiveAsync(2, 2));
                await Task.Delay(TimeSpan.FromSeconds(10));
            }
            finally
            {
                await deployment.Servers.ControlAsync("start", host);
            }

            await UntilReturnedAsync(resyncs, (1, 1), (2, 2));
        }

        await AssertNothingLostAsync(phones);
    }

    [Fact]
    public async Task A_member_server_frozen_for_30_seconds_returns_complete()
    {
        var phones = await Phones.RegisterAsync(deployment, "frz", 400);
        var resyncs = await ResyncsAsync();
        var host = MixedDeployment.HostOf((1, 2)); // holds (1,2) and (2,1)

        using (phones.ChurnInBackground())
        {
            await deployment.Servers.ControlAsync("freeze", host);
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(30));
            }
            finally
            {
                await deployment.Servers.ControlAsync("thaw", host);
            }

            await UntilReturnedAsync(resyncs, (1, 2), (2, 1));
        }

        await AssertNothingLostAsync(phones);
    }

    [Fact]
    public async Task Users_kamailio_registered_before_location_actors_started_survive_a_maintenance_round_and_are_found_through_both()
    {
        var phones = await Phones.RegisterAsync(deployment, "pre", 200);
        var resyncs = await ResyncsAsync();

        Assert.Equal(0, await LocctlAsync("db", "maintenance", "2", "1"));
        await UntilAsync("LocationActors takes member (2,1) out of traffic", async () => !await ActiveAsync(2, 1));
        await phones.ChurnAsync(TimeSpan.FromSeconds(4));
        Assert.Equal(0, await LocctlAsync("db", "activate", "2", "1"));
        await UntilReturnedAsync(resyncs, (2, 1));

        await AssertNothingLostAsync(phones);

        // Every one of the estate's users, through both systems.
        var missing = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, MixedDeployment.BaselineUsers).Chunk(MixedDeployment.BaselineUsers / 8), async (slice, _) =>
        {
            using var kamailio = new SipClient(deployment.KamailioPort, MixedDeployment.SipLimit);
            using var ours = new SipClient(deployment.SipPort, MixedDeployment.SipLimit);
            foreach (var i in slice)
            {
                var user = MixedDeployment.BaselineUser(i);
                var contact = $"sip:{user}@192.0.2.99:5060";
                if ((await ours.LookupAsync(user))?.Contains(contact) != true)
                    missing.Add($"{user} through LocationActors");
                if ((await kamailio.LookupAsync(user))?.Contains(contact) != true)
                    missing.Add($"{user} through Kamailio");
            }
        });
        Assert.True(missing.IsEmpty, $"{missing.Count} lookups of users registered before LocationActors started failed, e.g. {string.Join(", ", missing.Take(5))}");
    }

    // ---- the checks --------------------------------------------------------------------------------------------

    /// <summary>
    /// Every acknowledged state is what both systems answer, the members of each group hold the same rows, and the
    /// estate's users are all still on both members of their group.
    /// </summary>
    private async Task AssertNothingLostAsync(Phones phones)
    {
        output.WriteLine(phones.Summary());
        var problems = new List<string>();
        // A request a phone gave up on may still land on a member a moment later: look again before calling it a difference.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            problems = await MemberDifferencesAsync();
            if (problems.Count == 0)
                break;
            await Task.Delay(TimeSpan.FromSeconds(3));
        }

        problems.AddRange(await phones.WrongAnswersAsync());
        Assert.True(problems.Count == 0, $"{problems.Count} problems:\n{string.Join("\n", problems.Take(20))}\n{deployment.Processes.Logs(30)}");
    }

    private async Task<List<string>> MemberDifferencesAsync()
    {
        var problems = new List<string>();
        foreach (var group in new[] { 1, 2 })
        {
            var first = await RowsAsync((group, 1));
            var second = await RowsAsync((group, 2));
            foreach (var ruid in first.Keys.Union(second.Keys))
            {
                var (a, b) = (first.GetValueOrDefault(ruid), second.GetValueOrDefault(ruid));
                if (a != b)
                    problems.Add($"group {group}, ruid {ruid}: member 1 has {Describe(a)}, member 2 has {Describe(b)}");
            }

            var users = first.Values.Select(r => r.Username).ToHashSet();
            var lost = Enumerable.Range(0, MixedDeployment.BaselineUsers).Select(MixedDeployment.BaselineUser)
                .Where(u => GroupOf(u) == group && !users.Contains(u)).ToList();
            if (lost.Count > 0)
                problems.Add($"group {group}: {lost.Count} users registered before LocationActors started have no row, e.g. {lost[0]}");
        }

        return problems;
    }

    private static string Describe(ContactBinding? row) =>
        row is null ? "nothing" : $"{row.Username} {row.Contact} cseq {row.CSeq} modified {DateTimeOffset.FromUnixTimeSeconds(row.LastModified):HH:mm:ss}";

    private async Task<Dictionary<string, ContactBinding>> RowsAsync((int Id, int No) member)
    {
        var rows = new Dictionary<string, ContactBinding>(StringComparer.Ordinal);
        await foreach (var row in deployment.Members[member].StreamAllAsync())
            rows[row.Ruid] = row;
        return rows;
    }

    private static int GroupOf(string user) => Partitioner.GroupOf(Aor.FromColumns(user, null), 2);

    // ---- waiting for the cluster -------------------------------------------------------------------------------

    private async Task<int> LocctlAsync(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await LocCtl.RunAsync([.. args, "--url", $"http://127.0.0.1:{deployment.HttpPort}", "--token", MixedDeployment.AdminToken], stdout, stderr);
        output.WriteLine($"locctl {string.Join(' ', args)}: {code} {stdout}{stderr}".TrimEnd());
        return code;
    }

    private async Task<JsonElement> GroupJsonAsync(int id) =>
        JsonDocument.Parse(await deployment.Http.GetStringAsync("/v1/cluster")).RootElement.GetProperty("groups").EnumerateArray()
            .First(g => g.GetProperty("id").GetInt32() == id);

    private async Task<bool> ActiveAsync(int id, int no) =>
        (await GroupJsonAsync(id)).GetProperty("members").EnumerateArray().First(m => m.GetProperty("no").GetInt32() == no).GetProperty("active").GetBoolean();

    private async Task<Dictionary<int, int>> ResyncsAsync()
    {
        var resyncs = new Dictionary<int, int>();
        foreach (var id in new[] { 1, 2 })
            resyncs[id] = (await GroupJsonAsync(id)).GetProperty("resyncs").GetInt32();
        return resyncs;
    }

    /// <summary>The members are on again, caught up (their group counted a resync since), and their failover is reset.</summary>
    private async Task UntilReturnedAsync(Dictionary<int, int> resyncsBefore, params (int Id, int No)[] members)
    {
        var started = DateTime.UtcNow;
        await UntilAsync($"members {string.Join(", ", members)} return and catch up", async () =>
        {
            foreach (var (id, no) in members)
            {
                var row = (await deployment.Master.ReadGroupAsync(id)).First(r => r.No == no);
                if (row.Status != LocDbStatus.On || !LocDbRow.IsReset(row.Failover) ||
                    (await GroupJsonAsync(id)).GetProperty("resyncs").GetInt32() <= resyncsBefore[id])
                    return false;
            }

            return true;
        }, ReturnTimeout);
        output.WriteLine($"members {string.Join(", ", members)} returned and caught up {(DateTime.UtcNow - started).TotalSeconds:F1} s after the wait began");
    }

    private Task UntilAsync(string what, Func<Task<bool>> condition, TimeSpan? timeout = null) =>
        Eventually.UntilAsync(what, condition, timeout ?? TimeSpan.FromSeconds(60), diagnostics: async () =>
            "locdb: " + string.Join("; ", (await deployment.Master.ReadAllAsync()).Select(r => $"({r.Id},{r.No}) {r.Status} errors {r.Errors} failover {r.Failover}")) +
            $"\ncluster: {await deployment.Http.GetStringAsync("/v1/cluster")}\n{deployment.Processes.Logs(30)}");
}
