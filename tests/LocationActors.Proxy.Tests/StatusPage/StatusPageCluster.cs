using LocationActors.Domain.LocDb;
using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Proxy.Tests.StatusPage;

/// <summary>
/// The deployment of <see cref="ProxiedCluster"/>, but group 1's member 2 lives on MariaDB instance
/// <see cref="MariaDbServers.StatusPageInstance"/>, which the browser test kills; the nodes turn a member off after 2
/// errors and probe every second, so the page has something to show within seconds.
/// </summary>
public sealed class StatusPageCluster : ProxiedCluster
{
    private LocationDatabase? _killable;

    protected override IReadOnlyDictionary<string, string> NodeEnvironment { get; } = new Dictionary<string, string>
    {
        ["LA_DB_ERR_THRESHOLD"] = "2",
        ["LA_DB_RETRY_INTERVAL"] = "1s",
        ["LA_DB_CONNECT_TIMEOUT"] = "2s",
        ["LA_DB_COMMAND_TIMEOUT"] = "3s",
    };

    protected override async Task BeforeNodesStartAsync()
    {
        await Servers.UpOnlyAsync([MariaDbServers.StatusPageInstance]);
        _killable = new LocationDatabase(await Servers.CreateDatabaseAsync(MariaDbServers.StatusPageInstance));
        await _killable.CreateSchemaAsync();
        await Master.UpsertRowAsync(new LocDbRow(1, 2, _killable.Url.Original, LocDbStatus.On, 0, LocDbRow.DefaultTime, false, MariaDbServers.StatusPageInstance));
    }

    /// <summary>Kills the server of group 1's member 2 (SIGKILL, as a crash).</summary>
    public Task KillMemberServerAsync() => Servers.ControlAsync("kill", MariaDbServers.StatusPageInstance);

    public override async Task DisposeAsync()
    {
        await Servers.ControlAsync("start", MariaDbServers.StatusPageInstance);
        if (_killable is not null)
            await _killable.DisposeAsync();
        await base.DisposeAsync();
    }
}
