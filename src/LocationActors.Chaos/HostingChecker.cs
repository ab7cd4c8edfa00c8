using System.Globalization;
using System.Text.RegularExpressions;

namespace LocationActors.Chaos;

/// <summary>When one node wrote for one group: from its first stored write to its last (or to the node's death).</summary>
public sealed record HostingSpan(string Group, string Node, DateTime From, DateTime To);

/// <summary>
/// Finds groups written by two nodes at once: the split brain a partition or a paused node could cause, when a node
/// the cluster has given up on goes on writing while the group already runs elsewhere. Each group logs (INFO) when a
/// node first stores a write for it and, when it stops there, the span of its stored writes; a node killed without
/// stopping wrote until it died (the harness knows when). Two spans of one group on different nodes that overlap are
/// a finding. Pure: fed the log lines and kill times, tested without processes.
/// </summary>
public sealed partial class HostingChecker
{
    private readonly Dictionary<(string Node, string Group), DateTime> _open = new();
    private readonly List<HostingSpan> _spans = [];

    [GeneratedRegex(@"group (?<group>\S+) stores writes from this node since (?<since>\S+)")]
    private static partial Regex Since();

    [GeneratedRegex(@"group (?<group>\S+) stops on this node; its writes were stored from (?<from>\S+) to (?<to>\S+)")]
    private static partial Regex Stops();

    public IReadOnlyList<HostingSpan> Spans => _spans;

    /// <summary>
    /// One node's log, in order, and the times the harness killed it (SIGKILL: no line tells that its groups stopped).
    /// </summary>
    public void Read(string node, IEnumerable<string> lines, IReadOnlyList<DateTime> killedAt, DateTime runEnd)
    {
        var kills = new Queue<DateTime>(killedAt.Order());
        foreach (var line in lines)
        {
            if (Since().Match(line) is { Success: true } since)
            {
                var at = Time(since.Groups["since"].Value);
                CloseKilled(node, kills, before: at);
                var key = (node, since.Groups["group"].Value);
                if (_open.Remove(key, out var unclosed))
                    _spans.Add(new HostingSpan(key.Item2, node, unclosed, at)); // never said it stopped: as long as can be
                _open[key] = at;
            }
            else if (Stops().Match(line) is { Success: true } stops)
            {
                var key = (node, stops.Groups["group"].Value);
                _open.Remove(key);
                _spans.Add(new HostingSpan(key.Item2, node, Time(stops.Groups["from"].Value), Time(stops.Groups["to"].Value)));
            }
        }

        CloseKilled(node, kills, before: DateTime.MaxValue);
        foreach (var key in _open.Keys.Where(k => k.Node == node).ToList())
        {
            _spans.Add(new HostingSpan(key.Group, node, _open[key], runEnd));
            _open.Remove(key);
        }
    }

    /// <summary>Each pair of spans of one group, on two nodes, that overlap.</summary>
    public IReadOnlyList<Finding> Findings() =>
        _spans.GroupBy(s => s.Group).SelectMany(group =>
        {
            var spans = group.OrderBy(s => s.From).ToList();
            return spans.SelectMany((a, i) => spans.Skip(i + 1).Where(b => b.Node != a.Node && b.From < a.To)
                .Select(b => new Finding("double-hosted", group.Key,
                    FormattableString.Invariant($"written from {a.Node} until {a.To:HH:mm:ss.fff} and from {b.Node} since {b.From:HH:mm:ss.fff}"))));
        }).ToList();

    /// <summary>The node died at each kill before <paramref name="before"/>: what it had open ends there.</summary>
    private void CloseKilled(string node, Queue<DateTime> kills, DateTime before)
    {
        while (kills.TryPeek(out var kill) && kill < before)
        {
            kills.Dequeue();
            foreach (var key in _open.Keys.Where(k => k.Node == node).ToList())
            {
                if (_open[key] < kill)
                    _spans.Add(new HostingSpan(key.Group, node, _open[key], kill));
                _open.Remove(key);
            }
        }
    }

    private static DateTime Time(string text) => DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind).ToUniversalTime();
}
