using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.LocDb;
using Partitioner = LocationActors.Domain.Partitioning.Partitioner;
using LocationActors.Domain.Registrations;
using LocationActors.Node.Configuration;
using LocationActors.Node.Hosting;
using LocationActors.Storage;
using LocationActors.TestSupport;
using Xunit.Abstractions;

namespace LocationActors.Node.Tests;

/// <summary>
/// Failover under traffic, with real MariaDB servers killed, frozen and restarted by <c>scripts/mariadb.sh</c>. A node
/// runs in this process (the node-kill tests use processes) with its master database on instance 5 and group 1's
/// members on instances 3 and 4 — dedicated instances that no other test uses. Group 2's members live on the shared
/// instances 1 and 2, which are never touched: it shows what a failure does to the groups it does not concern.
/// </summary>
[Collection(DedicatedMariaDbCollection.Name)]
[Trait(Tier.Name, Tier.Process)]
public sealed class DatabaseFailoverTests(MariaDbServers servers, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Threshold = 5;
    private const int Member1Instance = 3;
    private const int Member2Instance = 4;
    private const int MasterInstance = 5;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    private readonly Dictionary<(int Id, int No), LocationDatabase> _members = new();
    private MasterDatabase _master = null!;
    private NodeHost? _host;
    private long _requestId;
    private int _nextUser;

    public async Task InitializeAsync()
    {
        // A test before this one may have left a dedicated instance down or frozen (when it failed half-way).
        await servers.UpAsync(MariaDbServers.DedicatedInstances.Max());
        _master = new MasterDatabase(await servers.CreateDatabaseAsync(MasterInstance));
        await _master.CreateSchemaAsync();
        foreach (var (id, no, instance) in new[] { (1, 1, Member1Instance), (1, 2, Member2Instance), (2, 1, 1), (2, 2, 2) })
        {
            var member = new LocationDatabase(await servers.CreateDatabaseAsync(instance));
            await member.CreateSchemaAsync();
            _members[(id, no)] = member;
            await _master.UpsertRowAsync(new LocDbRow(id, no, member.Url.Original, LocDbStatus.On, 0, LocDbRow.DefaultTime, false, instance));
        }
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
            await _host.System.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
        foreach (var member in _members.Values)
            await member.DisposeAsync();
        await _master.DisposeAsync();
    }

    /// <summary>A node on its own one-node cluster, with short intervals so that failures show within seconds.</summary>
    private async Task StartNodeAsync(int failoverLevel = 1)
    {
        var port = NodeProcesses.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var environment = new Dictionary<string, string>
        {
            ["LA_MASTER_DB_URL"] = _master.Url.Original,
            ["LA_NODE_PORT"] = port,
            ["LA_SEED_NODES"] = $"akka.tcp://location@127.0.0.1:{port}",
            ["LA_LOCDB_POLL_INTERVAL"] = "500ms",
            ["LA_DB_RETRY_INTERVAL"] = "1s",
            ["LA_DB_ERR_THRESHOLD"] = Threshold.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LA_FAILOVER_LEVEL"] = failoverLevel.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LA_DB_CONNECT_TIMEOUT"] = "2s",
            ["LA_DB_COMMAND_TIMEOUT"] = "3s",
            ["LA_LOG_LEVEL"] = "WARNING",
        };
        var config = ConfigurationFactory.ParseString("akka.coordinated-shutdown.exit-clr = off")
            .WithFallback(NodeConfig.Load(environment: key => environment.GetValueOrDefault(key)));
        _host = await NodeHost.StartAsync(NodeSettings.FromConfig(config), config);
        await UntilAsync(async () => (await StatusAsync(1)).State == "serving" && (await StatusAsync(2)).State == "serving", "both groups serve");
    }

    // ---- requests ---------------------------------------------------------------------------------------------

    private static Aor User(int i) => Aor.FromNormalized("4940" + i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture), RegistrarOptions.Default);

    private static string ContactOf(int i) => $"sip:{User(i)}@192.0.2.{i % 250 + 1}:5060";

    private static int GroupOf(int i) => Partitioner.GroupOf(User(i), 2);

    /// <summary>The next unused user of <paramref name="group"/>.</summary>
    private int NewUser(int group)
    {
        while (true)
        {
            var i = Interlocked.Increment(ref _nextUser);
            if (GroupOf(i) == group)
                return i;
        }
    }

    private async Task<object> AskAsync(Func<long, IWithGroupId> request)
    {
        try
        {
            return await _host!.Groups.Ask<object>(request(Interlocked.Increment(ref _requestId)), AskTimeout);
        }
        catch (AskTimeoutException)
        {
            return "no answer within " + AskTimeout;
        }
    }

    private Task<object> RegisterAsync(int i) => AskAsync(id => new RegisterBindings(GroupOf(i), id,
        new RegisterRequest(User(i), [new ContactUpdate(ContactOf(i), 3600, QValue.Unspecified)], $"call-{i}", 1, UserAgent: "failover-test")));

    private async Task<IReadOnlyList<string>?> LookupAsync(int i) =>
        await AskAsync(id => new LookupContacts(GroupOf(i), id, User(i))) is LookupResult found ? found.Contacts.Select(c => c.Contact).ToList() : null;

    private async Task<GroupStatus> StatusAsync(int group) =>
        await AskAsync(id => new GetGroupStatus(group, id)) as GroupStatus ?? throw new Xunit.Sdk.XunitException($"group {group} gave no status");

    private async Task<LocDbRow> RowAsync(int id, int no) => (await _master.ReadGroupAsync(id)).Single(r => r.No == no);

    // A StorageException means "not yet": e.g. the master is still starting again.
    private static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? within = null) =>
        Eventually.UntilAsync(what, condition, within ?? Deadline, TimeSpan.FromMilliseconds(100), notYet: e => e is StorageException);

    private static async Task<List<ContactBinding>> RowsAsync(LocationDatabase db)
    {
        var rows = new List<ContactBinding>();
        await foreach (var row in db.StreamAllAsync())
            rows.Add(row);
        return rows.OrderBy(r => r.Ruid, StringComparer.Ordinal).ToList();
    }

    /// <summary>A resynchronised member holds exactly the healthy member's rows, ruid by ruid and field by field.</summary>
    private async Task AssertMembersEqualAsync(int group)
    {
        var first = await RowsAsync(_members[(group, 1)]);
        var second = await RowsAsync(_members[(group, 2)]);
        Assert.Equal(first.Count, second.Count);
        Assert.Equal(first, second);
    }

    /// <summary>Every acknowledged registration is found by lookup and is stored on both members of its group.</summary>
    private async Task AssertAcknowledgedAreFoundAsync(IReadOnlyCollection<int> acked)
    {
        Assert.NotEmpty(acked);
        foreach (var i in acked)
            Assert.Equal([ContactOf(i)], await LookupAsync(i));
        foreach (var group in new[] { 1, 2 })
        {
            var expected = acked.Where(i => GroupOf(i) == group).Select(i => User(i).Username).Order(StringComparer.Ordinal).ToList();
            foreach (var no in new[] { 1, 2 })
            {
                var stored = (await RowsAsync(_members[(group, no)])).Select(r => r.Username).ToHashSet();
                Assert.True(expected.All(stored.Contains), $"group {group} member {no} lacks acknowledged registrations");
            }
        }
    }

    // ---- the tests ----------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_killed_member_is_turned_off_no_registration_fails_after_and_its_return_resyncs_it_row_for_row()
    {
        await StartNodeAsync();
        await using var traffic = Traffic.Start(this, registerGroups: [1, 2]);
        await traffic.UntilAcknowledgedAsync(200);
        var before = await RowAsync(1, 1);

        var clock = Stopwatch.StartNew();
        await servers.ControlAsync("kill", Member1Instance);
        await UntilAsync(async () => (await RowAsync(1, 1)).Status == LocDbStatus.Off, "locdb shows member (1,1) off");
        var offAfter = clock.Elapsed;
        var offAt = DateTime.UtcNow;
        var off = await RowAsync(1, 1);
        output.WriteLine($"member (1,1) off {offAfter.TotalSeconds:F2} s after its server was killed; locdb errors={off.Errors}");
        Assert.Equal(Threshold, off.Errors);
        Assert.True(off.Failover > before.Failover, "turning off stamps failover = now");

        await traffic.UntilAcknowledgedAsync(traffic.Acknowledged.Count + 300);
        await traffic.StopAsync();
        Assert.Empty(traffic.Failures(sentAfter: offAt));
        Assert.Empty(traffic.Failures(group: 2));

        clock.Restart();
        await servers.ControlAsync("start", Member1Instance);
        await UntilAsync(async () => await RowAsync(1, 1) is { Status: LocDbStatus.On, Failover: LocDbRow.ZeroTime }, "member (1,1) is on and resynced");
        output.WriteLine($"member (1,1) on and resynchronised {clock.Elapsed.TotalSeconds:F2} s after its server was started again");
        Assert.Equal(0, (await RowAsync(1, 1)).Errors);
        Assert.Equal([1, 2], (await StatusAsync(1)).ActiveMembers);
        await AssertMembersEqualAsync(1);
        await AssertAcknowledgedAreFoundAsync(traffic.Acknowledged);
    }

    [Fact]
    public async Task Maintenance_takes_a_member_out_within_a_poll_and_status_0_brings_100000_contacts_back_through_the_resync()
    {
        const int Preloaded = 100_000;
        var bindings = Enumerable.Range(0, int.MaxValue).Where(i => GroupOf(i) == 1).Take(Preloaded)
            .Select(i => BindingFields.Sample(User(i).Username, i) with { Contact = ContactOf(i), Expires = BindingFields.Now + 86_400 * 365 })
            .ToList();
        _nextUser = int.MaxValue / 2; // new users beyond the preloaded ones
        await _members[(1, 1)].UpsertAsync(bindings);
        await _members[(1, 2)].UpsertAsync(bindings);
        await StartNodeAsync();
        Assert.Equal(Preloaded, (await StatusAsync(1)).ContactCount);

        var clock = Stopwatch.StartNew();
        await _master.SetStatusAsync(1, 2, LocDbStatus.Maintenance);
        await UntilAsync(async () => (await StatusAsync(1)).ActiveMembers is [1], "member (1,2) leaves traffic");
        output.WriteLine($"member (1,2) out of traffic {clock.Elapsed.TotalSeconds:F2} s after status=2 (poll interval 0.5 s)");
        var during = new List<int>();
        for (var k = 0; k < 50; k++)
        {
            var i = NewUser(1);
            Assert.IsType<RegisterResult>(await RegisterAsync(i));
            during.Add(i);
        }

        Assert.Equal(Preloaded, await _members[(1, 2)].CountAsync()); // in maintenance: no writes reach it
        Assert.Equal(LocDbStatus.Maintenance, (await RowAsync(1, 2)).Status); // and nothing automatic touches status 2

        await _master.SetStatusAsync(1, 2, LocDbStatus.Off);
        await UntilAsync(async () => (await RowAsync(1, 2)).Status == LocDbStatus.On, "the watcher turns member (1,2) on");
        clock.Restart();
        await UntilAsync(async () => (await RowAsync(1, 2)).Failover == LocDbRow.ZeroTime, "member (1,2) is resynced");
        output.WriteLine($"member (1,2) resynchronised with {Preloaded + during.Count} contacts in about {clock.Elapsed.TotalSeconds:F2} s");
        await AssertMembersEqualAsync(1);
        foreach (var i in during)
            Assert.Single(await _members[(1, 2)].LoadAorAsync(User(i).Username, null));
    }

    [Fact]
    public async Task At_failover_level_2_a_killed_member_is_swapped_with_a_spare_that_is_resynced_warm()
    {
        var spare = new LocationDatabase(await servers.CreateDatabaseAsync(1));
        await spare.CreateSchemaAsync();
        _members[(1, 3)] = spare;
        await _master.UpsertRowAsync(new LocDbRow(1, 3, spare.Url.Original, LocDbStatus.On, 0, LocDbRow.DefaultTime, true, 1));
        await StartNodeAsync(failoverLevel: 2);
        await using var traffic = Traffic.Start(this, registerGroups: [1]);
        await traffic.UntilAcknowledgedAsync(200);

        await servers.ControlAsync("kill", Member1Instance);
        await UntilAsync(async () => (await _master.ReadGroupAsync(1)).Any(r => r.No == 4), "the spare swap");
        await traffic.UntilAcknowledgedAsync(traffic.Acknowledged.Count + 200);
        await traffic.StopAsync();

        // Spec §6: the broken member parks as a spare behind the last row, the spare takes its number.
        var rows = await _master.ReadGroupAsync(1);
        var parked = rows.Single(r => r.No == 4);
        Assert.Equal((_members[(1, 1)].Url.Original, LocDbStatus.Off, Threshold, true), (parked.Url, parked.Status, parked.Errors, parked.Spare));
        Assert.DoesNotContain(rows, r => r.No == 3);
        await UntilAsync(async () => await RowAsync(1, 1) is { Status: LocDbStatus.On, Failover: LocDbRow.ZeroTime },
            "the spare, now member (1,1), is on and resynced");
        var swapped = await RowAsync(1, 1);
        Assert.Equal((spare.Url.Original, 0, false), (swapped.Url, swapped.Errors, swapped.Spare));

        _members[(1, 1)] = spare; // the comparisons below are about the group's members now
        await AssertMembersEqualAsync(1);
        await AssertAcknowledgedAreFoundAsync(traffic.Acknowledged);
        await servers.ControlAsync("start", Member1Instance);
    }

    [Fact]
    public async Task With_the_master_database_down_for_a_minute_no_request_fails()
    {
        await StartNodeAsync();
        await using var traffic = Traffic.Start(this, registerGroups: [1, 2]);
        await traffic.UntilAcknowledgedAsync(100);

        await servers.ControlAsync("kill", MasterInstance);
        var acknowledgedBefore = traffic.Acknowledged.Count;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(60)); // the outage the test is about, not a wait for a condition
        }
        finally
        {
            await servers.ControlAsync("start", MasterInstance);
        }

        Assert.True(traffic.Acknowledged.Count - acknowledgedBefore >= 100,
            $"only {traffic.Acknowledged.Count - acknowledgedBefore} registrations were acknowledged while the master was down");

        await traffic.UntilAcknowledgedAsync(traffic.Acknowledged.Count + 100);
        await traffic.StopAsync();
        output.WriteLine($"{traffic.Count} requests while the master was down for 60 s; {traffic.Failures().Count} failed");
        Assert.Empty(traffic.Failures());

        // The mirror reads locdb again: an operator's change after the outage takes effect.
        await _master.SetStatusAsync(1, 2, LocDbStatus.Maintenance);
        await UntilAsync(async () => (await StatusAsync(1)).ActiveMembers is [1], "member (1,2) leaves traffic after the master's return");
        await AssertAcknowledgedAreFoundAsync(traffic.Acknowledged);
    }

    [Fact]
    public async Task With_both_members_down_writes_are_unavailable_lookups_are_served_and_nothing_unstored_is_reported()
    {
        await StartNodeAsync();
        await using (var before = Traffic.Start(this, registerGroups: [1]))
        {
            await before.UntilAcknowledgedAsync(100);
            await before.StopAsync();
            await servers.ControlAsync("kill", Member1Instance);
            await servers.ControlAsync("kill", Member2Instance);

            await using var during = Traffic.Start(this, registerGroups: [1], lookupsOf: before.Acknowledged);
            await UntilAsync(() => Task.FromResult(during.Unavailable.Count >= 50), "50 writes answered unavailable");
            await during.StopAsync();
            Assert.Empty(during.Timeouts);
            Assert.Empty(during.FailedLookups);
            Assert.True(during.Lookups > 0, "lookups were served while no member database was up");

            await servers.ControlAsync("start", Member1Instance);
            await servers.ControlAsync("start", Member2Instance);
            await UntilAsync(async () => (await _master.ReadGroupAsync(1)).All(r => r is { Status: LocDbStatus.On, Failover: LocDbRow.ZeroTime }),
                "both members on and resynced");

            // Nothing unstored was reported stored, and what a lookup answers is what the databases hold: a write
            // answered "unavailable" is found exactly when a member had stored it before its server died.
            var acknowledged = before.Acknowledged.Concat(during.Acknowledged).ToHashSet();
            var stored = (await RowsAsync(_members[(1, 1)])).Select(r => r.Username).ToHashSet();
            foreach (var i in during.Unavailable.Where(i => !acknowledged.Contains(i)))
                Assert.Equal(stored.Contains(User(i).Username) ? [ContactOf(i)] : [], await LookupAsync(i));
            output.WriteLine($"{during.Unavailable.Count} writes answered unavailable, {during.Unavailable.Count(i => stored.Contains(User(i).Username))} of them stored before the servers died");
            await AssertMembersEqualAsync(1);
            foreach (var i in acknowledged)
                Assert.Equal([ContactOf(i)], await LookupAsync(i));
        }
    }

    [Fact]
    public async Task A_member_frozen_for_30_s_stalls_no_lookup_and_no_other_group_and_is_resynced_after()
    {
        await StartNodeAsync();
        await using var before = Traffic.Start(this, registerGroups: [1, 2]);
        await before.UntilAcknowledgedAsync(200);
        await before.StopAsync();

        await using var during = Traffic.Start(this, registerGroups: [1, 2], lookupsOf: before.Acknowledged);
        await servers.ControlAsync("freeze", Member1Instance);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await servers.ControlAsync("thaw", Member1Instance);
        }

        await during.StopAsync();
        output.WriteLine($"during the freeze: {during.Lookups} lookups, {during.Count} requests, {during.Failures(group: 1).Count} group-1 writes failed");
        Assert.True(during.Lookups > 100, "lookups went on");
        Assert.Empty(during.FailedLookups);
        Assert.Empty(during.Timeouts);
        Assert.Empty(during.Failures(group: 2));
        Assert.True(during.Acknowledged.Any(i => GroupOf(i) == 1), "group 1 took registrations again once the member was off");

        await UntilAsync(async () => await RowAsync(1, 1) is { Status: LocDbStatus.On, Failover: LocDbRow.ZeroTime }, "member (1,1) is on and resynced");
        await AssertMembersEqualAsync(1);
        await AssertAcknowledgedAreFoundAsync(before.Acknowledged.Concat(during.Acknowledged).ToList());
    }

    /// <summary>
    /// A bounded stream of requests from a few concurrent senders: registrations of new users (one contact each) to
    /// the given groups, each followed by a lookup of a user registered before (<c>lookupsOf</c>, or this stream's
    /// own acknowledged ones). Every answer is kept with the time its request was sent.
    /// </summary>
    private sealed class Traffic : IAsyncDisposable
    {
        private const int Senders = 4;
        private const int MaxRequests = 100_000;
        private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(10); // about 400 requests/s: traffic, not a load test

        private readonly DatabaseFailoverTests _test;
        private readonly int[] _groups;
        private readonly IReadOnlyList<int>? _lookupsOf;
        private readonly ConcurrentQueue<Outcome> _outcomes = new();
        private readonly CancellationTokenSource _stop = new();
        private Task _running = Task.CompletedTask;
        private int _sent;

        private Traffic(DatabaseFailoverTests test, int[] groups, IReadOnlyList<int>? lookupsOf)
        {
            _test = test;
            _groups = groups;
            _lookupsOf = lookupsOf;
        }

        public static Traffic Start(DatabaseFailoverTests test, int[] registerGroups, IReadOnlyList<int>? lookupsOf = null)
        {
            var traffic = new Traffic(test, registerGroups, lookupsOf);
            traffic._running = Task.WhenAll(Enumerable.Range(0, Senders).Select(sender => Task.Run(() => traffic.SendAsync(sender))));
            return traffic;
        }

        public int Count => _outcomes.Count;

        public int Lookups => _outcomes.Count(o => o.Lookup);

        public IReadOnlyList<int> Acknowledged => _outcomes.Where(o => !o.Lookup && o.Reply is RegisterResult).Select(o => o.User).ToList();

        public IReadOnlyList<int> Unavailable => _outcomes.Where(o => !o.Lookup && o.Reply is GroupUnavailable).Select(o => o.User).ToList();

        public IReadOnlyList<Outcome> Timeouts => _outcomes.Where(o => o.Reply is string).ToList();

        /// <summary>Lookups not answered with exactly the user's contact.</summary>
        public IReadOnlyList<Outcome> FailedLookups => _outcomes.Where(o => o.Lookup && !o.Ok).ToList();

        /// <summary>Requests not answered with success, optionally only those sent after a time or to one group.</summary>
        public IReadOnlyList<Outcome> Failures(DateTime? sentAfter = null, int? group = null) =>
            _outcomes.Where(o => !o.Ok && o.SentAt > (sentAfter ?? DateTime.MinValue) && (group is null || GroupOf(o.User) == group)).ToList();

        public async Task UntilAcknowledgedAsync(int count)
        {
            var deadline = DateTime.UtcNow + Deadline;
            while (Acknowledged.Count < count)
            {
                if (DateTime.UtcNow > deadline || _running.IsCompleted)
                    throw new Xunit.Sdk.XunitException($"{Acknowledged.Count} of {count} registrations acknowledged; last failures: " +
                                                       string.Join("; ", Failures().TakeLast(3)));
                await Task.Delay(50);
            }
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _running;
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _stop.Dispose();
        }

        private async Task SendAsync(int sender)
        {
            var random = new Random(sender);
            while (!_stop.IsCancellationRequested && Interlocked.Increment(ref _sent) <= MaxRequests)
            {
                var user = _test.NewUser(_groups[random.Next(_groups.Length)]);
                var sentAt = DateTime.UtcNow;
                var reply = await _test.RegisterAsync(user);
                _outcomes.Enqueue(new Outcome(sentAt, user, false, reply, reply is RegisterResult r && r.Bindings.Any(b => b.Contact == ContactOf(user))));

                var known = _lookupsOf ?? Acknowledged;
                if (known.Count > 0)
                {
                    var other = known[random.Next(known.Count)];
                    sentAt = DateTime.UtcNow;
                    var found = await _test.AskAsync(id => new LookupContacts(GroupOf(other), id, User(other)));
                    _outcomes.Enqueue(new Outcome(sentAt, other, true, found,
                        found is LookupResult l && l.Contacts.Select(c => c.Contact).SequenceEqual([ContactOf(other)])));
                }

                await Task.Delay(Pause);
            }
        }
    }

    /// <summary>One request of a <see cref="Traffic"/> stream and its answer (a string when none came in time).</summary>
    private sealed record Outcome(DateTime SentAt, int User, bool Lookup, object Reply, bool Ok);
}
