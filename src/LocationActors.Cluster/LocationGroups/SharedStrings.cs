namespace LocationActors.Cluster.LocationGroups;

/// <summary>
/// One instance of each value of a column whose values repeat across a group's contacts (user agents, sockets,
/// domains), each known by a small number. Bounded: once <see cref="Capacity"/> values are known, a new value is not
/// added (the caller stores it inline), so a column that turns out not to repeat costs a fixed amount, not a table
/// growing with the contacts. Values are never forgotten; a group's store starts a new table when it is cleared.
/// </summary>
public sealed class SharedStrings(int capacity = SharedStrings.DefaultCapacity)
{
    /// <summary>Enough for every phone model and firmware, every socket and every domain of a large operator.</summary>
    public const int DefaultCapacity = 65_536;

    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<string> _values = [];

    public int Capacity { get; } = capacity;

    public int Count => _values.Count;

    /// <summary>The number of <paramref name="value"/>, adding it while there is room; -1 when the table is full.</summary>
    public int IdOf(string value)
    {
        if (_ids.TryGetValue(value, out var id))
            return id;
        if (_values.Count >= Capacity)
            return -1;
        _ids.Add(value, _values.Count);
        _values.Add(value);
        return _values.Count - 1;
    }

    public string this[int id] => _values[id];

    /// <summary>The values known now, in a table of their own that takes no more: for a reader on another thread.</summary>
    public SharedStrings Frozen()
    {
        var frozen = new SharedStrings(capacity: 0);
        frozen._values.AddRange(_values);
        return frozen;
    }
}
