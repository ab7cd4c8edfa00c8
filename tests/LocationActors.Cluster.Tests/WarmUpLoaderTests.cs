using Akka.TestKit.Xunit2;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

/// <summary>The warm-up loader on a real SQLite member: pages, then done; a member that cannot be read, failed.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class WarmUpLoaderTests : TestKit, IDisposable
{
    private readonly SqliteFolder _folder = new();

    [Fact]
    public async Task A_members_rows_arrive_in_pages_and_then_done()
    {
        var url = _folder.NewDatabase();
        await using (var member = new LocationDatabase(url))
        {
            await member.CreateSchemaAsync();
            await member.UpsertAsync(Enumerable.Range(0, 2500).Select(i => BindingFields.Sample("w" + i, i)).ToList());
        }

        var load = WarmUpLoader.LoadAsync(new LocationDatabase(url), memberNo: 2, token: 7, TestActor);

        var pages = new List<WarmUpPage>();
        for (var i = 0; i < 3; i++)
        {
            pages.Add(ExpectMsg<WarmUpPage>());
            var loader = LastSender;
            ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // the next page only once this one is taken
            loader.Tell(WarmUpPageTaken.Instance, TestActor);
        }

        await load;
        Assert.Equal([WarmUpLoader.PageSize, WarmUpLoader.PageSize, 500], pages.Select(p => p.Bindings.Count));
        Assert.All(pages, p => Assert.Equal(7, p.Token));
        Assert.Equal(2500, pages.SelectMany(p => p.Bindings).Select(b => b.Ruid).Distinct().Count());
        Assert.Equal(new WarmUpDone(7, 2), ExpectMsg<WarmUpDone>());
    }

    [Fact]
    public async Task A_member_that_cannot_be_read_fails_the_warm_up()
    {
        // A database without the location table: the stream fails on its first page.
        await WarmUpLoader.LoadAsync(new LocationDatabase(_folder.NewDatabase()), memberNo: 1, token: 3, TestActor);

        var failed = ExpectMsg<WarmUpFailed>();
        Assert.Equal((3L, 1), (failed.Token, failed.MemberNo));
        Assert.Contains("location", failed.Reason);
    }

    public new void Dispose()
    {
        _folder.Dispose();
        base.Dispose();
    }
}
