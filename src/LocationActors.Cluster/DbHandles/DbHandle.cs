using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using LocationActors.Cluster.Metrics;
using LocationActors.Domain.Contacts;
using LocationActors.Storage;

namespace LocationActors.Cluster.DbHandles;

/// <summary>
/// Owns the handle of one member database of a location group. Writes are queued while a statement is in flight
/// and then go out together: one multi-row DELETE and one multi-row REPLACE for everything that queued up, so the
/// database sees few large statements however many REGISTERs arrive. The mailbox never waits on the database:
/// statements run as tasks whose results come back as messages.
/// When the database fails a statement for a reason of the server's own (a lost connection, a timeout: a dead or
/// frozen server) the handle throws <see cref="MemberDatabaseFailed"/> naming everything it held, and its group's
/// supervision restarts it. A restarted handle does not trust its database yet: it fails every write at once, instead
/// of one command timeout per batch, and probes the database with backoff until it answers.
/// A statement that requests wait on (writes, reads of AORs, removal of expired rows) and that has not answered within
/// the statement deadline fails the same way, without waiting for the driver's command timeout: a frozen server then
/// holds up the group's writes for the deadline, not for the timeout and the driver's attempt to cancel on it.
/// </summary>
public sealed class DbHandle : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan FirstProbe = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LastProbe = TimeSpan.FromSeconds(5);

    private readonly int _memberNo;
    private readonly LocationDatabase _database;
    private readonly int _maxBatchRows;
    private readonly TimeSpan _deadline;
    private readonly string _group; // the group's name (table/id), for the metrics
    private readonly Queue<object> _queue = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private Task _inFlight = Task.CompletedTask;
    private bool _busy;              // a statement is in flight: what arrives queues behind it
    private int _attempt;            // failures in a row (carried over a restart by the exception)
    private TimeSpan _probeDelay = FirstProbe;
    private long _batchStarted;      // Stopwatch timestamp of the write batch in flight, for the DEBUG log
    private int _batchWrites;
    private int _batchRows;
    private static long s_lastStatement; // numbers statements across restarts: one abandoned may answer a later incarnation
    private long _statement;         // the statement in flight; a BatchDone of one abandoned at its deadline is not it
    private IReadOnlyList<object> _unanswered = []; // the writes or reads of the statement in flight, failed if it misses its deadline

    public DbHandle(int memberNo, Func<LocationDatabase> open, int maxBatchRows, TimeSpan statementDeadline, string group = "")
    {
        _memberNo = memberNo;
        _group = group;
        _database = open();
        _maxBatchRows = maxBatchRows;
        _deadline = statementDeadline;
        Up();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The database answers: what arrives queues and goes out in batches, in order.</summary>
    private void Up()
    {
        Receive<WriteRows>(Enqueue);
        Receive<ReadAor>(Enqueue);
        // A resync (a snapshot, or a catch-up from another member) waits its turn behind the writes before it.
        Receive<ResyncRows>(Enqueue);
        Receive<CatchUpFrom>(Enqueue);
        Receive<DeleteExpiredRows>(Enqueue);
        Receive<BatchDone>(Completed);
        Receive<StatementOverdue>(Overdue);
        Receive<ProbeTick>(_ => { });   // left from the time it was down
        Receive<ProbeResult>(_ => { });
    }

    /// <summary>
    /// Restarted after <see cref="MemberDatabaseFailed"/>: the database is not trusted until a probe answers. Meanwhile
    /// everything fails at once, instead of one command timeout per batch, and the probe backs off.
    /// </summary>
    private void Down(StorageException cause)
    {
        var down = new StorageException(cause.Kind, _database.Url.ToString(), "write", $"the member is down since: {cause.Message}", cause);
        Receive<WriteRows>(write => Context.Parent.Tell(new RowsWriteFailed(_memberNo, [write.Seq], down)));
        Receive<ReadAor>(read => Context.Parent.Tell(new AorReadFailed(read.Token, _memberNo, down)));
        // Not the member's fault again: its failure was counted when it happened.
        Receive<ResyncRows>(_ => Context.Parent.Tell(new ResyncFailed(_memberNo, down, MemberAtFault: false)));
        Receive<CatchUpFrom>(_ => Context.Parent.Tell(new ResyncFailed(_memberNo, down, MemberAtFault: false)));
        Receive<DeleteExpiredRows>(_ => { }); // the next sweep will do it
        Receive<BatchDone>(Abandoned);
        Receive<StatementOverdue>(_ => { });
        Receive<ProbeTick>(_ => _database.ProbeAsync().PipeTo(Self, success: () => ProbeResult.Answered, failure: _ => ProbeResult.Silent));
        Receive<ProbeResult>(result =>
        {
            if (result == ProbeResult.Answered)
            {
                _log.Info("member {0} ({1}) answers again", _memberNo, _database.Url);
                Become(Up);
                return;
            }

            _probeDelay = TimeSpan.FromTicks(Math.Min(_probeDelay.Ticks * 2, LastProbe.Ticks));
            Timers.StartSingleTimer("probe", ProbeTick.Instance, _probeDelay);
        });
    }

    private void Enqueue(object request)
    {
        _queue.Enqueue(request);
        StartNext();
    }

    /// <summary>A statement finished: its answers go to the group, and the next queued work starts.</summary>
    private void Completed(BatchDone done)
    {
        if (done.Statement != _statement)
        {
            Abandoned(done);
            return;
        }

        _busy = false;
        Timers.Cancel("deadline");
        if (_batchWrites > 0)
        {
            var elapsed = Stopwatch.GetElapsedTime(_batchStarted);
            NodeMetrics.Batch(_group, _memberNo, _batchRows, elapsed);
            if (_log.IsDebugEnabled)
                _log.Debug("member {0}: {1} write(s), {2} row(s) stored in {3:0.0} ms", _memberNo, _batchWrites, _batchRows, elapsed.TotalMilliseconds);
        }

        _batchWrites = 0;
        var broken = done.Replies.OfType<RowsWriteFailed>().Select(f => f.Error)
            .Concat(done.Replies.OfType<ResyncFailed>().Where(f => f.MemberAtFault).Select(f => f.Error))
            .Concat(done.Replies.OfType<AorReadFailed>().Select(f => f.Error)).FirstOrDefault(e => e.IsTransient);
        if (broken is not null)
            throw Failed(broken, done.Replies);

        foreach (var reply in done.Replies)
            Context.Parent.Tell(reply);
        if (done.Replies.Any(r => r is RowsWritten or Resynced or AorRead))
            _attempt = 0;
        if (done.Replies is [ExpiredRowsDeleted { Count: var count }] && count >= _maxBatchRows)
            _queue.Enqueue(done.Again!); // more to delete: go on after the writes that queued meanwhile
        StartNext();
    }

    /// <param name="memberNo">The member's <c>locdb.no</c>, named in every reply.</param>
    /// <param name="open">Opens the database handle; called again by every restart. The actor disposes what it opened.</param>
    /// <param name="maxBatchRows">Most rows combined into one batch (each engine splits further into statements).</param>
    /// <param name="statementDeadline">
    /// How long a statement that requests wait on may take before it counts as the database's failure (a timeout).
    /// Null: <see cref="DefaultStatementDeadline"/>.
    /// </param>
    /// <param name="group">The group's name (<c>table/id</c>) its metrics are labelled with.</param>
    public static Props Props(int memberNo, Func<LocationDatabase> open, int maxBatchRows = 1000, TimeSpan? statementDeadline = null,
        string group = "") =>
        Akka.Actor.Props.Create(() => new DbHandle(memberNo, open, maxBatchRows, statementDeadline ?? DefaultStatementDeadline, group));

    /// <summary>As Kamailio's db_mysql <c>timeout_interval</c>: well inside a SIP transaction's patience.</summary>
    public static readonly TimeSpan DefaultStatementDeadline = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The statement in flight missed its deadline: the server is frozen or far too slow to serve requests. It is
    /// abandoned where it stands (its connection is closed once it ends; what it stored by then, if anything, reaches
    /// the member without the group's knowledge, and the resync that follows a failure puts the member right), and
    /// the member fails as for a timeout of the driver: the error is counted, the handle restarts and probes.
    /// </summary>
    private void Overdue(StatementOverdue overdue)
    {
        if (!_busy || overdue.Statement != _statement)
            return;
        var error = new StorageException(StorageErrorKind.Timeout, _database.Url.ToString(), "write",
            $"no answer within the statement deadline ({_deadline.TotalSeconds:0.###} s)");
        // What the statement would have answered, answered failed (a removal of expired rows answers nothing).
        throw Failed(error, _unanswered.Select(work => work is ReadAor read
            ? (object)new AorReadFailed(read.Token, _memberNo, error)
            : new RowsWriteFailed(_memberNo, [((WriteRows)work).Seq], error)).ToList());
    }

    /// <summary>A statement given up at its deadline ended after all; the group heard it failed, so its answer is dropped.</summary>
    private void Abandoned(BatchDone done)
    {
        _log.Info("member {0} ({1}): a statement abandoned at its deadline ended after all ({2})", _memberNo, _database.Url,
            done.Replies.FirstOrDefault()?.GetType().Name ?? "no answer");
    }

    /// <summary>
    /// Restarted after <see cref="MemberDatabaseFailed"/>: the database is not trusted until a probe answers, and the
    /// first probe waits longer the more failures came in a row (0.2 s doubling up to 5 s), so a server that keeps
    /// failing is not hammered by reconnects.
    /// </summary>
    protected override void PostRestart(Exception reason)
    {
        base.PostRestart(reason);
        if (reason is not MemberDatabaseFailed failed)
            return;
        _attempt = failed.Attempt;
        Become(() => Down(failed.Error));
        _probeDelay = TimeSpan.FromTicks(Math.Min(FirstProbe.Ticks << Math.Min(_attempt - 1, 10), LastProbe.Ticks));
        Timers.StartSingleTimer("probe", ProbeTick.Instance, _probeDelay);
    }

    /// <summary>The connection is closed once the statement in flight (if any) ends; the mailbox never waits for it.</summary>
    protected override void PostStop()
    {
        var inFlight = _inFlight;
        var database = _database;
        _ = inFlight.ContinueWith(_ => database.DisposeAsync().AsTask(), TaskScheduler.Default).Unwrap();
    }

    /// <summary>
    /// The database failed a statement: what else the batch stored is still reported, and every write that is not
    /// stored — the failed ones and all that queued behind them, which a restart would forget — is answered as failed,
    /// before the exception tells the supervisor (which counts the error once).
    /// </summary>
    private MemberDatabaseFailed Failed(StorageException error, IReadOnlyList<object> replies)
    {
        _log.Warning("member {0} ({1}) failed a statement ({2}); restarting its handle", _memberNo, _database.Url, error.Message);
        foreach (var stored in replies.OfType<RowsWritten>())
            Context.Parent.Tell(stored);
        foreach (var read in replies.OfType<AorReadFailed>().Concat(_queue.OfType<ReadAor>().Select(r => new AorReadFailed(r.Token, _memberNo, error))))
            Context.Parent.Tell(read); // reads are answered from what the group knows
        var seqs = replies.OfType<RowsWriteFailed>().SelectMany(f => f.Seqs).Concat(_queue.OfType<WriteRows>().Select(w => w.Seq)).ToList();
        if (seqs.Count > 0)
            Context.Parent.Tell(new RowsWriteFailed(_memberNo, seqs, error, HandleRestarts: true));
        if (replies.OfType<ResyncFailed>().Any() || _queue.Any(q => q is ResyncRows or CatchUpFrom))
            Context.Parent.Tell(new ResyncFailed(_memberNo, error, MemberAtFault: false)); // tried again; the crash counts the error
        _queue.Clear();
        return new MemberDatabaseFailed(_memberNo, Self, _attempt + 1, error);
    }

    private void StartNext()
    {
        if (_busy || _queue.Count == 0)
            return;
        _busy = true;
        var statement = _statement = Interlocked.Increment(ref s_lastStatement);
        _unanswered = [];
        // A copy has no deadline: it takes as long as the table is large, and writes do not wait for it once it began.
        if (_queue.Peek() is ResyncRows resync)
        {
            _queue.Dequeue();
            _inFlight = ResyncAsync(statement, resync.Snapshot, resync.SameAs).PipeTo(Self);
            return;
        }

        if (_queue.Peek() is CatchUpFrom catchUp)
        {
            _queue.Dequeue();
            _inFlight = CatchUpAsync(statement, catchUp).PipeTo(Self);
            return;
        }

        Timers.StartSingleTimer("deadline", new StatementOverdue(statement), _deadline);

        if (_queue.Peek() is ReadAor)
        {
            // The reads waiting together go in one statement: a group that loads reads an AOR for every request it
            // cannot answer from memory yet, and one round trip each would queue its writes behind them.
            var reads = new List<ReadAor>();
            while (reads.Count < _maxBatchRows && _queue.TryPeek(out var next) && next is ReadAor read)
                reads.Add((ReadAor)_queue.Dequeue());
            _unanswered = reads;
            _inFlight = ReadAsync(statement, reads).PipeTo(Self);
            return;
        }

        if (_queue.Peek() is DeleteExpiredRows expire)
        {
            _queue.Dequeue();
            _inFlight = DeleteExpiredAsync(statement, expire.Now).PipeTo(Self);
            return;
        }

        var batch = new List<WriteRows>();
        var rows = 0;
        while (_queue.TryPeek(out var next) && next is WriteRows write && (batch.Count == 0 || rows + write.RowCount <= _maxBatchRows))
        {
            batch.Add(write);
            rows += write.RowCount;
            _queue.Dequeue();
        }

        _batchStarted = Stopwatch.GetTimestamp();
        _batchWrites = batch.Count;
        _batchRows = rows;
        _unanswered = batch;
        _inFlight = WriteAsync(statement, batch).PipeTo(Self);
    }

    private async Task<BatchDone> WriteAsync(long statement, IReadOnlyList<WriteRows> batch)
    {
        // Within a batch only the last change of each ruid matters; rows of different ruids are independent.
        var last = new Dictionary<string, ContactBinding?>();
        foreach (var write in batch)
        {
            foreach (var ruid in write.DeletedRuids)
                last[ruid] = null;
            foreach (var binding in write.Upserts)
                last[binding.Ruid] = binding;
        }

        var seqs = batch.Select(w => w.Seq).ToList();
        try
        {
            var deletes = last.Where(p => p.Value is null).Select(p => p.Key).ToList();
            var upserts = last.Values.OfType<ContactBinding>().ToList();
            if (deletes.Count > 0)
                await _database.DeleteByRuidAsync(deletes);
            var refused = upserts.Count > 0 ? await _database.UpsertAsync(upserts) : [];
            if (refused.Count == 0)
                return new BatchDone(statement, [new RowsWritten(_memberNo, seqs)]);

            // The database refused some rows and stored the rest: only the writes that carried a refused row failed.
            var refusedRuids = refused.ToDictionary(f => f.Ruid, f => f.Error);
            var failed = batch.Where(w => w.Upserts.Any(b => refusedRuids.ContainsKey(b.Ruid))).ToList();
            _log.Warning("member {0} ({1}): {2} row(s) refused: {3}", _memberNo, _database.Url, refused.Count, refused[0].Error.Message);
            var replies = new List<object> { new RowsWriteFailed(_memberNo, failed.Select(w => w.Seq).ToList(), refused[0].Error) };
            var stored = seqs.Except(failed.Select(w => w.Seq)).ToList();
            if (stored.Count > 0)
                replies.Add(new RowsWritten(_memberNo, stored));
            return new BatchDone(statement, replies);
        }
        catch (Exception e)
        {
            // Whatever failed, every write of the batch gets an answer: the group must never wait forever.
            var error = e as StorageException ?? new StorageException(StorageErrorKind.Statement, _database.Url.ToString(), "write", e.Message, e);
            _log.Warning("member {0} ({1}): {2} write(s) failed: {3}", _memberNo, _database.Url, seqs.Count, error.Message);
            return new BatchDone(statement, [new RowsWriteFailed(_memberNo, seqs, error)]);
        }
    }

    private async Task<BatchDone> ResyncAsync(long statement, IReadOnlyCollection<ContactBinding> snapshot, ResyncSource? sameAs)
    {
        var (parent, self) = (Context.Parent, Self);
        try
        {
            // The comparison is part of the copy: a digest of a million rows takes seconds, writes need not wait for it.
            await AnnounceCopyAsync(parent, self);
            if (sameAs is not null && await AgreesWithAsync(sameAs) is { } digest)
            {
                _log.Info("member {0} ({1}): holds the same {2} rows as member {3} (equal digests); nothing to copy", _memberNo, _database.Url,
                    digest.Rows, sameAs.No);
                return new BatchDone(statement, [new Resynced(_memberNo, snapshot.Count)]);
            }

            var (written, deleted) = await _database.ReconcileAsync(snapshot);
            _log.Info("member {0} ({1}): resynchronised with {2} contacts: {3} written, {4} deleted", _memberNo, _database.Url,
                snapshot.Count, written, deleted);
            return new BatchDone(statement, [new Resynced(_memberNo, snapshot.Count)]);
        }
        catch (Exception e)
        {
            var error = e as StorageException ?? new StorageException(StorageErrorKind.Statement, _database.Url.ToString(), "resync", e.Message, e);
            _log.Warning("member {0} ({1}): resync failed: {2}", _memberNo, _database.Url, error.Message);
            return new BatchDone(statement, [new ResyncFailed(_memberNo, error)]);
        }
    }

    /// <summary>Tells the group the copy is under way once this member's table answers (captured: no actor context after an await).</summary>
    private async Task AnnounceCopyAsync(IActorRef parent, IActorRef self)
    {
        await _database.ProbeAsync();
        parent.Tell(new CopyUnderway(_memberNo), self);
    }

    /// <summary>This member's digest when it equals the other member's; null when they differ or either cannot say.</summary>
    private async Task<TableDigest?> AgreesWithAsync(ResyncSource other)
    {
        await using var source = other.Open();
        try
        {
            var both = await Task.WhenAll(_database.DigestAsync(), source.DigestAsync()); // two servers, each scans its own
            return both[0] is { } mine && mine == both[1] ? mine : null;
        }
        catch (StorageException e) when (e.Database == source.Url.ToString())
        {
            _log.Info("member {0}: comparing with member {1} failed ({2}); copying everything", _memberNo, other.No, e.Message);
            return null;
        }
    }

    // Not announced as a copy: beside other writers, writes keep waiting for the returning member until it caught up.
    private async Task<BatchDone> CatchUpAsync(long statement, CatchUpFrom catchUp)
    {
        var source = catchUp.OpenSource();
        try
        {
            var report = await SharedCatchUp.RunAsync(source, _database, () => DateTimeOffset.UtcNow.ToUnixTimeSeconds(), catchUp.SourceComplete);
            _log.Info("member {0} ({1}): caught up with member {2}: {3}", _memberNo, _database.Url, catchUp.SourceNo, report);
            return new BatchDone(statement, [new Resynced(_memberNo, report.CompleteRows)]);
        }
        catch (Exception e)
        {
            var error = e as StorageException ?? new StorageException(StorageErrorKind.Statement, _database.Url.ToString(), "catch up", e.Message, e);
            var sourceFailed = error.Database == source.Url.ToString();
            _log.Warning("member {0} ({1}): catching up with member {2} failed: {3}", _memberNo, _database.Url, catchUp.SourceNo, error.Message);
            return new BatchDone(statement, [new ResyncFailed(_memberNo, error, MemberAtFault: !sourceFailed)]);
        }
        finally
        {
            await source.DisposeAsync();
        }
    }

    private async Task<BatchDone> ReadAsync(long statement, IReadOnlyList<ReadAor> reads)
    {
        try
        {
            var rows = await _database.LoadUsernamesAsync(reads.Select(r => r.Username).ToList());
            // Matched as MariaDB's default collation compares (the statement's IN did): without regard to case.
            var byUsername = rows.ToLookup(r => r.Username, StringComparer.OrdinalIgnoreCase);
            return new BatchDone(statement, reads.Select(read => (object)new AorRead(read.Token, _memberNo, byUsername[read.Username]
                .Where(r => read.Domain is null || string.Equals(r.Domain, read.Domain, StringComparison.OrdinalIgnoreCase)).ToList())).ToList());
        }
        catch (Exception e)
        {
            var error = e as StorageException ?? new StorageException(StorageErrorKind.Statement, _database.Url.ToString(), "read", e.Message, e);
            return new BatchDone(statement, reads.Select(read => (object)new AorReadFailed(read.Token, _memberNo, error)).ToList());
        }
    }

    // One bounded DELETE at a time, so writes queued behind it wait for one statement, not for the whole sweep.
    private async Task<BatchDone> DeleteExpiredAsync(long statement, long now)
    {
        try
        {
            var deleted = await _database.DeleteExpiredAsync(now, _maxBatchRows);
            return new BatchDone(statement, [new ExpiredRowsDeleted(_memberNo, deleted)], new DeleteExpiredRows(now));
        }
        catch (Exception e)
        {
            _log.Warning("member {0} ({1}): deleting expired rows failed: {2}", _memberNo, _database.Url, e.Message);
            return new BatchDone(statement, [new ExpiredRowsDeleted(_memberNo, 0)]);
        }
    }

    private sealed class ProbeTick
    {
        public static readonly ProbeTick Instance = new();
    }

    private enum ProbeResult
    {
        Answered,
        Silent,
    }

    /// <summary>A statement finished; <see cref="Replies"/> go to the group, <see cref="Again"/> continues a sweep.</summary>
    /// <param name="Statement">Which statement: one abandoned at its deadline may end after the handle moved on.</param>
    private sealed record BatchDone(long Statement, IReadOnlyList<object> Replies, DeleteExpiredRows? Again = null);

    /// <summary>The deadline of statement <see cref="Statement"/> passed.</summary>
    private sealed record StatementOverdue(long Statement);
}
