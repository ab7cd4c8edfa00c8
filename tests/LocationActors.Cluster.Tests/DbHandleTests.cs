using Akka.Actor;
using Akka.TestKit.Xunit2;
using LocationActors.Cluster.DbHandles;
using LocationActors.Domain.Contacts;
using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

/// <summary>A <see cref="DbHandle"/> on a real MariaDB member database.</summary>
[Collection(MariaDbCollection.Name)]
[Trait(Tier.Name, Tier.Db)]
public sealed class DbHandleTests(MariaDbServers servers) : TestKit
{
    private async Task<(IActorRef Handle, LocationDatabase Reader)> StartAsync(int maxBatchRows = 1000, StorageOptions? options = null,
        TimeSpan? statementDeadline = null)
    {
        var url = await servers.CreateDatabaseAsync();
        var reader = new LocationDatabase(url);
        await reader.CreateSchemaAsync();
        // Supervised as a location group supervises it: a failed database restarts the handle; the test hears of it.
        var testActor = TestActor;
        var supervision = new OneForOneStrategy(-1, -1, cause =>
        {
            testActor.Tell(cause);
            return cause is MemberDatabaseFailed ? Directive.Restart : Directive.Stop;
        }, loggingEnabled: false);
        return (ChildActorOf(DbHandle.Props(7, () => new LocationDatabase(url, options), maxBatchRows, statementDeadline), supervision), reader);
    }

    private static WriteRows Upsert(long seq, params ContactBinding[] bindings) => new(seq, bindings, []);

    private static WriteRows Delete(long seq, params string[] ruids) => new(seq, [], ruids);

    private List<long> AckedSeqs(int expected)
    {
        var seqs = new List<long>();
        while (seqs.Count < expected)
            seqs.AddRange(ExpectMsg<RowsWritten>(TimeSpan.FromSeconds(10)).Seqs);
        return seqs;
    }

    [Fact]
    public async Task Every_write_is_stored_and_acknowledged_in_order()
    {
        var (handle, reader) = await StartAsync();
        await using var _ = reader;

        for (var i = 1; i <= 50; i++)
            handle.Tell(Upsert(i, BindingFields.Sample("u" + i, i)));

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), AckedSeqs(50));
        Assert.Equal(50, await reader.CountAsync());
    }

    [Fact]
    public async Task Writes_that_queue_behind_a_statement_go_out_together()
    {
        var (handle, reader) = await StartAsync();
        await using var _ = reader;

        for (var i = 1; i <= 300; i++)
            handle.Tell(Upsert(i, BindingFields.Sample("b" + i, i)));

        var acks = new List<RowsWritten>();
        while (acks.Sum(a => a.Seqs.Count) < 300)
            acks.Add(ExpectMsg<RowsWritten>(TimeSpan.FromSeconds(10)));

        Assert.All(acks, a => Assert.Equal(7, a.MemberNo));
        Assert.True(acks.Count < 30, $"{acks.Count} statements for 300 writes");
        Assert.Equal(300, await reader.CountAsync());
    }

    [Fact]
    public async Task Batches_respect_their_row_bound()
    {
        var (handle, reader) = await StartAsync(maxBatchRows: 10);
        await using var _ = reader;

        for (var i = 1; i <= 100; i++)
            handle.Tell(Upsert(i, BindingFields.Sample("r" + i, i)));

        var acks = new List<RowsWritten>();
        while (acks.Sum(a => a.Seqs.Count) < 100)
            acks.Add(ExpectMsg<RowsWritten>(TimeSpan.FromSeconds(10)));
        Assert.All(acks, a => Assert.InRange(a.Seqs.Count, 1, 10));
        Assert.Equal(100, await reader.CountAsync());
    }

    [Fact]
    public async Task The_last_change_of_a_ruid_wins_within_a_batch()
    {
        var (handle, reader) = await StartAsync();
        await using var _ = reader;
        var first = BindingFields.Sample("carol", 1);
        var gone = BindingFields.Sample("dave", 2);

        handle.Tell(Upsert(1, first, gone));
        handle.Tell(Delete(2, first.Ruid, gone.Ruid));
        handle.Tell(Upsert(3, first with { CSeq = 9 }));
        AckedSeqs(3);

        Assert.Equal([first with { CSeq = 9 }], await reader.LoadAorAsync("carol", null));
        Assert.Empty(await reader.LoadAorAsync("dave", null));
    }

    [Fact]
    public async Task A_failing_database_is_reported_and_the_handle_goes_on()
    {
        var (handle, reader) = await StartAsync();
        await using var _ = reader;
        await servers.ExecuteAsync(1, "RENAME TABLE location TO location_away", reader.Url.Database);

        handle.Tell(Upsert(1, BindingFields.Sample("erin")));
        var failed = ExpectMsg<RowsWriteFailed>(TimeSpan.FromSeconds(10));
        Assert.Equal((7, StorageErrorKind.Schema), (failed.MemberNo, failed.Error.Kind));
        Assert.Equal([1L], failed.Seqs);

        await servers.ExecuteAsync(1, "RENAME TABLE location_away TO location", reader.Url.Database);
        handle.Tell(Upsert(2, BindingFields.Sample("erin")));
        Assert.Equal([2L], AckedSeqs(1));
        Assert.Equal(1, await reader.CountAsync());
    }

    [Fact]
    public async Task A_row_the_database_refuses_fails_only_the_write_that_carried_it()
    {
        var (handle, reader) = await StartAsync();
        await using var _ = reader;
        var refused = BindingFields.Sample("zed", 2);
        await servers.ExecuteAsync(1, $"CREATE TRIGGER refuse_row BEFORE INSERT ON location FOR EACH ROW IF NEW.ruid = '{refused.Ruid}' THEN " +
                                      "SIGNAL SQLSTATE '22001' SET MYSQL_ERRNO = 1406, MESSAGE_TEXT = 'refused'; END IF", reader.Url.Database);
        var blocker = BindingFields.Sample("first", 0);

        handle.Tell(Upsert(1, blocker)); // in flight while the next three queue into one batch
        handle.Tell(Upsert(2, BindingFields.Sample("yan", 1)));
        handle.Tell(Upsert(3, refused));
        handle.Tell(Upsert(4, BindingFields.Sample("xia", 3)));

        var replies = new List<object>();
        while (replies.OfType<RowsWritten>().Sum(w => w.Seqs.Count) + replies.OfType<RowsWriteFailed>().Sum(f => f.Seqs.Count) < 4)
            replies.Add(ExpectMsg<object>(TimeSpan.FromSeconds(10)));

        var failed = Assert.Single(replies.OfType<RowsWriteFailed>());
        Assert.Equal([3L], failed.Seqs);
        Assert.Equal(StorageErrorKind.InvalidData, failed.Error.Kind);
        Assert.Equal([1L, 2L, 4L], replies.OfType<RowsWritten>().SelectMany(w => w.Seqs).Order());
        Assert.Equal(3, await reader.CountAsync());
    }

    [Fact]
    public async Task A_database_that_stops_answering_crashes_the_handle_which_then_fails_writes_at_once_until_it_answers()
    {
        var (handle, reader) = await StartAsync(options: StorageOptions.Default with { CommandTimeout = TimeSpan.FromSeconds(1) });
        await using var _ = reader;
        handle.Tell(Upsert(1, BindingFields.Sample("una", 1)));
        AckedSeqs(1);
        // A frozen server, as the handle sees it: statements that never finish.
        await using var locker = await TableLock.HoldAsync(reader.Url, forWriting: true);

        for (var i = 2; i <= 5; i++)
            handle.Tell(Upsert(i, BindingFields.Sample("una", i)));
        // The statement in flight times out: the handle answers it and every write queued behind it as failed, then
        // throws; writes that reach the restarted handle fail at once.
        var failed = new List<long>();
        MemberDatabaseFailed? crash = null;
        while (failed.Count < 4 || crash is null)
        {
            switch (ExpectMsg<object>(TimeSpan.FromSeconds(15)))
            {
                case RowsWriteFailed f:
                    failed.AddRange(f.Seqs);
                    break;
                case MemberDatabaseFailed c:
                    crash = c;
                    break;
            }
        }

        Assert.Equal((7, 1, StorageErrorKind.Timeout), (crash.MemberNo, crash.Attempt, crash.Error.Kind));
        Assert.Equal([2L, 3L, 4L, 5L], failed.Order());

        handle.Tell(Upsert(6, BindingFields.Sample("una", 6)));
        // Refused by the restarted handle without trying the database (whose statements would time out instead).
        Assert.Contains("the member is down since", ExpectMsg<RowsWriteFailed>(TimeSpan.FromSeconds(15)).Error.Message);

        await locker.ReleaseAsync();
        await AwaitAssertAsync(() =>
        {
            handle.Tell(Upsert(7, BindingFields.Sample("una", 7)));
            Assert.Equal([7L], ExpectMsg<RowsWritten>(TimeSpan.FromSeconds(2)).Seqs);
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(500));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_statement_past_its_deadline_fails_the_member_long_before_the_command_timeout_and_its_late_answer_is_dropped()
    {
        var (handle, reader) = await StartAsync(options: StorageOptions.Default with { CommandTimeout = TimeSpan.FromSeconds(60) },
            statementDeadline: TimeSpan.FromMilliseconds(500));
        await using var _ = reader;
        handle.Tell(Upsert(1, BindingFields.Sample("una", 1)));
        AckedSeqs(1);
        await using var locker = await TableLock.HoldAsync(reader.Url, forWriting: true);

        handle.Tell(Upsert(2, BindingFields.Sample("una", 2)));
        handle.Tell(Upsert(3, BindingFields.Sample("una", 3)));
        // Seq 2's statement blocks on the lock (a frozen server, as the handle sees it); seq 3 queues behind it. At the
        // deadline both are answered failed and the handle crashes with a timeout, the driver's 60 s far away.
        var failed = new List<long>();
        MemberDatabaseFailed? crash = null;
        while (failed.Count < 2 || crash is null)
        {
            switch (ExpectMsg<object>(TimeSpan.FromSeconds(10)))
            {
                case RowsWriteFailed f:
                    Assert.True(f.HandleRestarts);
                    failed.AddRange(f.Seqs);
                    break;
                case MemberDatabaseFailed c:
                    crash = c;
                    break;
                case var other:
                    Assert.Fail($"unexpected {other}");
                    break;
            }
        }

        Assert.Equal(StorageErrorKind.Timeout, crash.Error.Kind);
        Assert.Contains("statement deadline", crash.Error.Message);
        Assert.Equal([2L, 3L], failed.Order());

        // The abandoned statement ends once the lock goes; its rows land, but no answer of it reaches the group, which
        // already heard the writes failed (the member's resync puts it right). Writes are then stored again.
        await locker.ReleaseAsync();
        await AwaitAssertAsync(async () => Assert.Contains(BindingFields.Sample("una", 2).Ruid, (await reader.LoadAorAsync("una", null)).Select(b => b.Ruid)),
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
        await AwaitAssertAsync(() =>
        {
            handle.Tell(Upsert(4, BindingFields.Sample("una", 4)));
            var answer = ExpectMsg<object>(TimeSpan.FromSeconds(2));
            Assert.Equal([4L], Assert.IsType<RowsWritten>(answer).Seqs);
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(500));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task A_resync_copies_nothing_when_the_member_agrees_with_a_complete_one_and_everything_when_not()
    {
        var (handle, member) = await StartAsync();
        await using var _ = member;
        await using var complete = new LocationDatabase(await servers.CreateDatabaseAsync());
        await complete.CreateSchemaAsync();
        var rows = Enumerable.Range(0, 50).Select(i => BindingFields.Sample("s" + i, i)).ToList();
        await member.UpsertAsync(rows);
        await complete.UpsertAsync(rows);
        var sameAs = new ResyncSource(2, () => new LocationDatabase(complete.Url));
        // A snapshot that differs from both tables: with equal digests the handle trusts them and copies nothing,
        // which shows the comparison decided (the group sends this only when memory equals the complete member).
        var snapshot = rows.Take(10).ToList();

        handle.Tell(new ResyncRows(snapshot, sameAs));
        ExpectMsg(new CopyUnderway(7), TimeSpan.FromSeconds(15)); // the member answered: writes need not wait for the copy
        Assert.Equal(new Resynced(7, 10), ExpectMsg<Resynced>(TimeSpan.FromSeconds(15)));
        Assert.Equal(50, await member.CountAsync());

        await complete.DeleteByRuidAsync([rows[0].Ruid]); // now they differ: the snapshot is copied
        handle.Tell(new ResyncRows(snapshot, sameAs));
        ExpectMsg(new CopyUnderway(7), TimeSpan.FromSeconds(15));
        Assert.Equal(new Resynced(7, 10), ExpectMsg<Resynced>(TimeSpan.FromSeconds(15)));
        Assert.Equal(10, await member.CountAsync());
    }

    [Fact]
    public async Task A_member_whose_table_does_not_answer_fails_its_copy_without_saying_it_is_under_way()
    {
        var (handle, member) = await StartAsync();
        await using var _ = member;
        await servers.ExecuteAsync(1, "RENAME TABLE location TO location_away", member.Url.Database);

        handle.Tell(new ResyncRows([BindingFields.Sample("t1")], null));
        // The group keeps waiting for this member in writes, as p_usrloc's all-active does for a failing member.
        var heard = new List<object>();
        do
            heard.Add(ReceiveOne(TimeSpan.FromSeconds(15)) ?? throw new TimeoutException("no answer to the copy"));
        while (heard[^1] is not ResyncFailed);
        Assert.DoesNotContain(heard, m => m is CopyUnderway);
    }

    [Fact]
    public async Task Expired_rows_are_swept_in_bounded_statements_between_writes()
    {
        var (handle, reader) = await StartAsync(maxBatchRows: 10);
        await using var _ = reader;
        await reader.UpsertAsync(Enumerable.Range(0, 25)
            .Select(i => BindingFields.Sample("old" + i, i) with { Expires = BindingFields.Now - 10 }).ToList());
        await reader.UpsertAsync([BindingFields.Sample("fresh")]);

        handle.Tell(new DeleteExpiredRows(BindingFields.Now));

        Assert.Equal(10, ExpectMsg<ExpiredRowsDeleted>().Count);
        Assert.Equal(10, ExpectMsg<ExpiredRowsDeleted>().Count);
        Assert.Equal(5, ExpectMsg<ExpiredRowsDeleted>().Count);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(1, await reader.CountAsync());
    }
}
