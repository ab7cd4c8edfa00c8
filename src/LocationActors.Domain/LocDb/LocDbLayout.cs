namespace LocationActors.Domain.LocDb;

/// <summary>
/// The cluster layout read from <c>locdb</c>: how many location groups there are and which rows are each group's
/// members. p_usrloc uses the first two rows by <c>no</c>; <see cref="MembersPerGroup"/> makes that number a setting.
/// </summary>
public sealed class LocDbLayout
{
    private readonly IReadOnlyDictionary<int, IReadOnlyList<LocDbRow>> _rowsByGroup;

    private LocDbLayout(int groupCount, int membersPerGroup, IReadOnlyDictionary<int, IReadOnlyList<LocDbRow>> rowsByGroup,
        IReadOnlyList<string> problems)
    {
        GroupCount = groupCount;
        MembersPerGroup = membersPerGroup;
        _rowsByGroup = rowsByGroup;
        Problems = problems;
    }

    /// <summary>N: <c>MAX(id) WHERE status = 1</c>, exactly as p_usrloc computes it (spec §2), so both agree on groups.</summary>
    public int GroupCount { get; }

    public int MembersPerGroup { get; }

    /// <summary>Layout mistakes that make some users unservable (gaps in ids, groups with too few rows).</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>The group's members: its first <see cref="MembersPerGroup"/> rows by <c>no</c>.</summary>
    public IReadOnlyList<LocDbRow> MembersOf(int groupId) =>
        _rowsByGroup.TryGetValue(groupId, out var rows) ? rows.Take(MembersPerGroup).ToList() : [];

    /// <summary>
    /// The members to read a group from, as p_usrloc reads: those that are on, the oldest failover first (a member
    /// switched on again recently may have missed writes), then the lower <c>no</c>.
    /// </summary>
    public IReadOnlyList<LocDbRow> ReadOrderOf(int groupId) =>
        MembersOf(groupId).Where(r => r.Status == LocDbStatus.On).OrderBy(r => r.Failover).ThenBy(r => r.No).ToList();

    /// <summary>Rows after the members: spares (<c>spare=1</c>) or parked former members.</summary>
    public IReadOnlyList<LocDbRow> SparesOf(int groupId) =>
        _rowsByGroup.TryGetValue(groupId, out var rows) ? rows.Skip(MembersPerGroup).ToList() : [];

    /// <exception cref="InvalidOperationException">No row has status 1: p_usrloc refuses to start then, and so do we.</exception>
    public static LocDbLayout FromRows(IEnumerable<LocDbRow> rows, int membersPerGroup = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(membersPerGroup, 1);
        var all = rows.ToList();
        var active = all.Where(r => r.Status == LocDbStatus.On).ToList();
        if (active.Count == 0)
            throw new InvalidOperationException("locdb has no row with status=1, so the number of location groups is undefined");

        var groupCount = active.Max(r => r.Id);
        if (groupCount < 1)
            throw new InvalidOperationException($"locdb's highest active group id is {groupCount}; group ids start at 1");
        var byGroup = all.GroupBy(r => r.Id)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<LocDbRow>)g.OrderBy(r => r.No).ToList());

        var problems = new List<string>();
        for (var id = 1; id <= groupCount; id++)
        {
            var count = byGroup.TryGetValue(id, out var groupRows) ? groupRows.Count : 0;
            if (count == 0)
                problems.Add($"group {id} has no locdb rows: its users cannot be served");
            else if (count < membersPerGroup)
                problems.Add($"group {id} has {count} of {membersPerGroup} member rows");
        }

        foreach (var id in byGroup.Keys.Where(id => id < 1 || id > groupCount).Order())
            problems.Add($"group {id} is outside 1..{groupCount} and receives no users");

        return new LocDbLayout(groupCount, membersPerGroup, byGroup, problems);
    }
}
