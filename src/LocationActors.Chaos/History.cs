namespace LocationActors.Chaos;

/// <summary>What a chaos client asked for.</summary>
public enum OpKind
{
    /// <summary>REGISTER one contact of a user (a new one, or a refresh of one it has).</summary>
    Register,

    /// <summary>Remove one contact of a user.</summary>
    Remove,

    /// <summary>Look the user up.</summary>
    Lookup,
}

/// <summary>How an operation ended, as the client saw it.</summary>
public enum Outcome
{
    /// <summary>Done and acknowledged (a lookup: answered).</summary>
    Acked,

    /// <summary>Refused for good (4xx): nothing changed.</summary>
    Refused,

    /// <summary>No verdict (503, a timeout, a dropped connection): it may or may not have happened.</summary>
    Unknown,
}

/// <summary>One operation of the history: what was asked, when, and what came back (a lookup's contacts).</summary>
public sealed record Op(string User, OpKind Kind, string? Contact, DateTime SentAt, DateTime AnsweredAt, Outcome Outcome,
    IReadOnlyList<string>? Found = null);

/// <summary>A problem the checker found, with the user and the operation it concerns.</summary>
public sealed record Finding(string Kind, string User, string Detail);

/// <summary>The verdict on a history.</summary>
/// <param name="Lost">Contacts acknowledged and never removed that a lookup (or a member database) did not have.</param>
/// <param name="Wrong">Answers holding a contact that cannot be there: never registered, or removed with an acknowledgement.</param>
/// <param name="Availability">Share of operations that got a verdict (acknowledged or refused).</param>
/// <param name="LongestGap">Longest time a user went without a verdict: from one answered operation (or its first
/// request) to the next answered one, waits for answers included.</param>
public sealed record Verdict(int Ops, int Acked, int Lost, int Wrong, double Availability, TimeSpan LongestGap, IReadOnlyList<Finding> Findings);

/// <summary>
/// Checks a chaos history. Each user is driven by one client at a time, so a user's operations are a sequence; the
/// checker replays it keeping two sets per user: the contacts that must be there (every acknowledged registration not
/// removed since) and those that may be (adding registrations without a verdict; a removal without a verdict may or
/// may not have happened). A lookup must return every contact that must be there (else: lost) and nothing that may not
/// (else: wrong); so must the final state, read through the cluster and from every member database.
/// </summary>
public sealed class HistoryChecker
{
    private readonly Dictionary<string, (HashSet<string> Must, HashSet<string> May, HashSet<string> Unsure)> _users = new(StringComparer.Ordinal);
    private readonly List<Finding> _findings = [];
    private TimeSpan _longestGap;
    private int _verdicts;
    private int _ops;
    private int _acked;

    /// <summary>Replays one user's operations in the order they were made.</summary>
    public void Replay(IEnumerable<Op> ops)
    {
        DateTime? lastVerdict = null;
        Op? last = null;
        foreach (var op in ops)
        {
            _ops++;
            last = op;
            lastVerdict ??= op.SentAt;
            if (op.Outcome != Outcome.Unknown)
            {
                _verdicts++;
                Gap(op.AnsweredAt - lastVerdict.Value);
                lastVerdict = op.AnsweredAt;
            }

            if (op.Outcome == Outcome.Acked)
                _acked++;
            var (must, may, unsure) = State(op.User);
            switch (op.Kind, op.Outcome)
            {
                case (OpKind.Register, Outcome.Acked):
                    must.Add(op.Contact!);
                    may.Add(op.Contact!);
                    break;
                case (OpKind.Register, Outcome.Unknown):
                    // An unanswered REGISTER may still be delivered at any later time (a retry buffered while the
                    // cluster was unreachable): its contact may appear even after a later removal.
                    may.Add(op.Contact!);
                    unsure.Add(op.Contact!);
                    break;
                case (OpKind.Remove, Outcome.Acked):
                    must.Remove(op.Contact!);
                    if (!unsure.Contains(op.Contact!))
                        may.Remove(op.Contact!);
                    break;
                case (OpKind.Remove, Outcome.Unknown):
                    must.Remove(op.Contact!);
                    break;
                case (OpKind.Lookup, Outcome.Acked):
                    Compare(op.User, op.Found ?? [], "lookup at " + op.AnsweredAt.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture));
                    break;
            }
        }

        if (last is { Outcome: Outcome.Unknown })
            Gap(last.AnsweredAt - lastVerdict!.Value);
    }

    private void Gap(TimeSpan gap) => _longestGap = gap > _longestGap ? gap : _longestGap;

    /// <summary>Compares what a reader found for a user (a lookup, a member database) with what must and may be there.</summary>
    public void Compare(string user, IReadOnlyCollection<string> found, string where)
    {
        var (must, may, _) = State(user);
        foreach (var missing in must.Where(c => !found.Contains(c)))
            _findings.Add(new Finding("lost", user, $"{where}: {missing} is missing"));
        foreach (var extra in found.Where(c => !may.Contains(c)))
            _findings.Add(new Finding("wrong", user, $"{where}: {extra} should not be there"));
    }

    /// <summary>Every user with operations, for the final reads.</summary>
    public IReadOnlyCollection<string> Users => _users.Keys;

    public Verdict Verdict()
    {
        var answered = _ops == 0 ? 1.0 : (double)_verdicts / _ops;
        return new Verdict(_ops, _acked, _findings.Count(f => f.Kind == "lost"), _findings.Count(f => f.Kind == "wrong"), answered, _longestGap, _findings);
    }

    private (HashSet<string> Must, HashSet<string> May, HashSet<string> Unsure) State(string user)
    {
        if (!_users.TryGetValue(user, out var state))
            _users[user] = state = (new HashSet<string>(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal));
        return state;
    }
}
