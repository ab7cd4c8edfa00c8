using Akka.Actor;
using CsCheck;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Registrations;
using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

/// <summary>
/// A group's write bookkeeping (<see cref="GroupWrites"/>, <see cref="PendingWrite"/>) driven the way LocationGroup
/// drives it through random sequences of member answers (stored, failed, refused, late, repeated), copies that begin,
/// members that leave traffic and return, resync runs that complete and held replies that expire. Whatever the
/// order: nothing throws (a member twice in a held reply crashed a group on a routine database kill), the books of a
/// write in flight hold each member once, every write is answered at most once, and once every member has answered
/// and been resynchronised every write has been answered exactly once.
/// </summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class GroupWritesPropertyTests
{
    private const int Members = 3;
    private static readonly string[] Keys = ["ann", "bob", "cy"];
    private static readonly Domain.Contacts.ContactBinding Binding = BindingFields.Sample("ann", 1);

    private enum Step { Begin, Stored, Failed, Refused, CopyBegins, AskAgain, Leave, Return, ResyncDone, Expire }

    private sealed record Operation(Step Step, int Member, int Pick);

    private static readonly Gen<Operation> Operations = Gen.Select(Gen.Enum<Step>(), Gen.Int[1, Members], Gen.Int[0, 7], (step, member, pick) => new Operation(step, member, pick));

    [Fact]
    public void Any_order_of_member_failures_returns_and_resyncs_answers_every_write_once_and_never_holds_a_member_twice()
    {
        Operations.Array[1, 120].Sample(operations => new Group().Run(operations), iter: 3000);
    }

    /// <summary>What LocationGroup does with the bookkeeping (LocationGroup.Writes.cs), without actors and databases.</summary>
    private sealed class Group
    {
        private readonly GroupWrites _writes = new();
        private readonly HashSet<int> _traffic = [.. Enumerable.Range(1, Members)];
        private readonly Dictionary<long, int> _answered = []; // seq → replies sent
        private readonly List<long> _begun = [];
        private long _lastRun;
        private DateTime _now = new(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc);

        public void Run(Operation[] operations)
        {
            foreach (var operation in operations)
            {
                Apply(operation);
                CheckBooks();
            }

            // Every member answers what is still asked of it and is resynchronised (or leaves): every write is answered.
            foreach (var pending in _writes.InFlight.ToList())
            {
                foreach (var no in pending.Awaiting.Concat(pending.Trailing).ToList())
                    Settle(pending.Write.Seq, no, null);
            }

            foreach (var no in Enumerable.Range(1, Members))
                Release(no, long.MaxValue);
            Assert.Empty(_writes.InFlight);
            Assert.Equal(0, _writes.HeldCount);
            Assert.All(_begun, seq => Assert.True(_answered.GetValueOrDefault(seq) == 1, $"write {seq} was answered {_answered.GetValueOrDefault(seq)} times"));
        }

        private PendingWrite? Pick(int pick) => _writes.InFlight.OrderBy(p => p.Write.Seq).ElementAtOrDefault(pick % Math.Max(1, _writes.InFlight.Count()));

        private void Apply(Operation operation)
        {
            var (step, no, pick) = operation;
            switch (step)
            {
                case Step.Begin when Keys[pick % Keys.Length] is var key && !_writes.IsBusy(key) && _traffic.Count > 0:
                    var begun = _writes.Begin(ActorRefs.Nobody, "ok", pick, key, AorBindings.Empty.Put(Binding), [Binding], [], _traffic.OrderBy(n => n));
                    _begun.Add(begun!.Write.Seq);
                    break;
                case Step.Stored or Step.Failed or Step.Refused when Pick(pick) is { } pending:
                    // Any member may answer, asked or not, once or again: a late answer of a member given up on counts for nothing.
                    Settle(pending.Write.Seq, no, step == Step.Stored ? null : "timeout", step == Step.Refused);
                    break;
                case Step.CopyBegins when _traffic.Contains(no):
                    foreach (var done in _writes.StopAwaiting(no))
                        Decide(done);
                    break;
                case Step.AskAgain when Pick(pick) is { } pending && _traffic.Contains(no):
                    pending.AskAgain(no);
                    break;
                case Step.Leave when _traffic.Remove(no):
                    Release(no, long.MaxValue); // a member that left traffic no longer counts
                    break;
                case Step.Return:
                    _traffic.Add(no);
                    break;
                case Step.ResyncDone when _traffic.Contains(no):
                    Release(no, ++_lastRun);
                    break;
                case Step.Expire:
                    _now += TimeSpan.FromSeconds(pick * 10);
                    foreach (var expired in _writes.ExpireHeld(_now - TimeSpan.FromSeconds(30)))
                        Answered(expired);
                    break;
            }
        }

        private void Settle(long seq, int no, string? error, bool refused = false)
        {
            if (_writes.Settle(seq, no, error, refused) is { } pending)
                Decide(pending);
        }

        private void Decide(PendingWrite pending)
        {
            var verdict = pending.Verdict(WritePolicy.AllActive, _traffic.Contains);
            if (pending.Stored > 0)
                _writes.Stored(pending, pending.MissingOn(_traffic.Contains));
            if (verdict == WriteVerdict.WaitForMissing)
                _writes.Hold(pending, pending.MissingOn(_traffic.Contains), _lastRun + 1, _now);
            else
                Answered(pending);
            _writes.RunWaiting(pending.Key, _ => { });
        }

        private void Release(int no, long run)
        {
            foreach (var released in _writes.Release(no, run))
                Answered(released);
        }

        private void Answered(PendingWrite pending)
        {
            _answered[pending.Write.Seq] = _answered.GetValueOrDefault(pending.Write.Seq) + 1;
            Assert.True(_answered[pending.Write.Seq] == 1, $"write {pending.Write.Seq} answered twice");
        }

        /// <summary>A write in flight knows each member in one role only: awaited, trailing, stored, or failed once.</summary>
        private void CheckBooks()
        {
            foreach (var pending in _writes.InFlight)
            {
                var failed = pending.Failures.Select(f => f.No).ToList();
                Assert.Equal(failed.Count, failed.Distinct().Count());
                Assert.Empty(pending.Awaiting.Intersect(pending.StoredOn));
                Assert.Empty(pending.Awaiting.Intersect(pending.Trailing));
                Assert.Empty(pending.StoredOn.Intersect(failed));
                Assert.False(_answered.ContainsKey(pending.Write.Seq), $"write {pending.Write.Seq} answered while still in flight");
            }
        }
    }
}
