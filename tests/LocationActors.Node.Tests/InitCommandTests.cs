using LocationActors.Domain.LocDb;
using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Node.Tests;

/// <summary><c>init</c>: a new deployment's master and member databases, on SQLite files (the local default).</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class InitCommandTests : IDisposable
{
    private readonly SqliteFolder _folder = new();

    private (int Code, string Output, string Error) Run(params string[] args)
    {
        var config = Path.Combine(_folder.Path, "node.hocon");
        File.WriteAllText(config, $"location.master-db-url = \"sqlite://{_folder.Path}/master.db\"");
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = Program.Run([.. args, "--config", config], output, error);
        return (code, output.ToString(), error.ToString());
    }

    private string Member(string name) => $"sqlite://{_folder.Path}/{name}.db";

    [Fact]
    public async Task It_seeds_locdb_with_the_groups_and_creates_every_table_and_a_second_run_changes_nothing()
    {
        var (code, output, error) = Run("init", "--group", $"{Member("g1m1")},{Member("g1m2")}", "--group", $"{Member("g2m1")},{Member("g2m2")}");

        Assert.True(code == 0, error);
        Assert.Contains("locdb seeded: 2 groups of 2 members", output);
        await using var master = new MasterDatabase(DatabaseUrl.Parse($"sqlite://{_folder.Path}/master.db"));
        var rows = await master.ReadAllAsync();
        Assert.Equal([(1, 1), (1, 2), (2, 1), (2, 2)], rows.Select(r => (r.Id, r.No)));
        Assert.All(rows, r => Assert.Equal((LocDbStatus.On, 0, false), (r.Status, r.Errors, r.Spare)));
        Assert.Equal(Member("g2m2"), rows[3].Url);
        Assert.Equal(4, rows.Select(r => r.RiskGroup).Distinct().Count()); // every file is its own server
        await using (var member = new LocationDatabase(DatabaseUrl.Parse(Member("g1m2"))))
            Assert.Equal(0, await member.CountAsync());

        await master.SetStatusAsync(1, 2, LocDbStatus.Maintenance);
        var again = Run("init", "--group", Member("other"));
        Assert.Contains("already has 4 rows; left as it is", again.Output);
        Assert.Equal(LocDbStatus.Maintenance, (await master.ReadGroupAsync(1))[1].Status);
    }

    [Fact]
    public void A_bad_url_is_refused_with_a_reason()
    {
        var (code, _, error) = Run("init", "--group", "oracle://db/x");

        Assert.Equal(2, code);
        Assert.Contains("mysql://, postgres:// or sqlite://", error);
    }

    public void Dispose() => _folder.Dispose();
}
