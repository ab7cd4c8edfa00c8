using LocationActors.Domain.LocDb;
using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Node.Tests;

/// <summary><c>check</c> against a real master database and real member databases on two MariaDB servers.</summary>
[Collection(MariaDbCollection.Name)]
[Trait(Tier.Name, Tier.Process)]
public sealed class CheckCommandTests(MariaDbServers servers) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("la-check-").FullName;

    private async Task<(DatabaseUrl Master, string Config)> LayoutAsync(params (int Id, int No, string Url, LocDbStatus Status)[] rows)
    {
        var master = await servers.CreateDatabaseAsync(1);
        await using var db = new MasterDatabase(master);
        await db.CreateSchemaAsync();
        foreach (var (id, no, url, status) in rows)
            await db.UpsertRowAsync(new LocDbRow(id, no, url, status, 0, LocDbRow.DefaultTime, no > 2, no));
        var config = Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".hocon");
        await File.WriteAllTextAsync(config, $"location {{ master-db-url = \"{master.Original}\", storage.connect-timeout = 10s }}");
        return (master, config);
    }

    private async Task<string> MemberAsync(int instance, int contacts = 0)
    {
        var url = await servers.CreateDatabaseAsync(instance);
        await using var db = new LocationDatabase(url);
        await db.CreateSchemaAsync();
        if (contacts > 0)
            await db.UpsertAsync(Enumerable.Range(0, contacts).Select(i => BindingFields.Sample("user" + i, i)).ToList());
        return url.Original;
    }

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task A_healthy_layout_is_printed_and_passes()
    {
        var (_, config) = await LayoutAsync(
            (1, 1, await MemberAsync(1, contacts: 3), LocDbStatus.On), (1, 2, await MemberAsync(2, contacts: 3), LocDbStatus.On),
            (2, 1, await MemberAsync(2), LocDbStatus.On), (2, 2, await MemberAsync(1), LocDbStatus.Maintenance),
            (2, 3, "mysql://u:p@127.0.0.1:1/spare", LocDbStatus.Off));

        var (code, output, error) = Run("check", "--config", config);

        Assert.True(error == "" && code == 0, $"exit {code}: {error}");
        Assert.Contains("2 location groups, 2 members per group", output);
        Assert.Matches(@"group 1\n  no=1 member mysql://locationactors:\*\*\*@127\.0\.0\.1:\d+/la_t_\w+ status=on errors=0 failover=- rg=1: ok, 3 rows", output);
        Assert.Contains("status=maintenance errors=0 failover=- rg=2: not probed", output);
        Assert.Contains("no=3 spare  mysql://u:***@127.0.0.1:1/spare status=off", output);
        Assert.DoesNotContain(servers.Password, output);
    }

    [Fact]
    public async Task An_unreachable_or_broken_member_is_a_problem()
    {
        var noTable = (await servers.CreateDatabaseAsync(2)).Original;
        var (_, config) = await LayoutAsync(
            (1, 1, await MemberAsync(1), LocDbStatus.On), (1, 2, "mysql://u:secret@127.0.0.1:1/gone", LocDbStatus.On),
            (2, 1, await MemberAsync(2), LocDbStatus.On), (2, 2, noTable, LocDbStatus.On));

        var (code, output, error) = Run("check", "--config", config);

        Assert.Equal(1, code);
        Assert.Contains("problem: group 1 member 2 (mysql://u:***@127.0.0.1:1/gone) does not answer: Connection", error);
        Assert.Contains("problem: group 2 member 2", error);
        Assert.Contains("Schema", error);
        Assert.Contains("FAILED", output);
        Assert.DoesNotContain("secret", output + error);
    }

    [Fact]
    public async Task A_layout_with_gaps_is_a_problem()
    {
        var (_, config) = await LayoutAsync((1, 1, await MemberAsync(1), LocDbStatus.On), (3, 1, await MemberAsync(2), LocDbStatus.On));

        var (code, _, error) = Run("check", "--config", config);

        Assert.True(code == 1, error);
        Assert.Contains("problem: group 1 has 1 of 2 member rows", error);
        Assert.Contains("problem: group 2 has no locdb rows: its users cannot be served", error);
    }

    [Fact]
    public async Task An_unreachable_master_or_empty_locdb_stops_with_exit_code_2()
    {
        var config = Path.Combine(_folder, "down.hocon");
        await File.WriteAllTextAsync(config, "location { master-db-url = \"mysql://u:p@127.0.0.1:1/kamailio\", storage.connect-timeout = 1s }");
        var (code, _, error) = Run("check", "--config", config);
        Assert.Equal(2, code);
        Assert.StartsWith("node: mysql://u:***@127.0.0.1:1/kamailio: read locdb failed (connection)", error);

        var (_, empty) = await LayoutAsync();
        (code, _, error) = Run("check", "--config", empty);
        Assert.Equal(2, code);
        Assert.Contains("locdb has no row with status=1", error);
    }

    [Fact]
    public async Task The_node_binary_takes_its_master_from_the_environment()
    {
        var (master, _) = await LayoutAsync((1, 1, await MemberAsync(1, contacts: 2), LocDbStatus.On), (1, 2, await MemberAsync(2), LocDbStatus.On));
        var node = new System.Diagnostics.ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "LocationActors.Node.dll"), "check"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["LA_MASTER_DB_URL"] = master.Original, ["LA_MEMBERS_PER_GROUP"] = "1", ["LA_NODE_CONFIG"] = null },
        };

        using var process = System.Diagnostics.Process.Start(node)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));

        Assert.True(process.ExitCode == 0, await error);
        Assert.Contains($"master {master}: 1 location groups, 1 members per group", await output); // both from the environment
        Assert.Contains("no=1 member", await output);
        Assert.Contains("no=2 parked", await output);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
