using LocationActors.Domain.LocDb;
using LocationActors.TestSupport;

namespace LocationActors.Domain.Tests;

[Trait(Tier.Name, Tier.Unit)]
public class LocDbLayoutTests
{
    private static LocDbRow Row(int id, int no, LocDbStatus status = LocDbStatus.On, bool spare = false) =>
        new(id, no, $"mysql://u:p@db{id}{no}/loc", status, 0, LocDbRow.DefaultTime, spare, no);

    [Fact]
    public void N_is_the_highest_id_with_status_one()
    {
        var layout = LocDbLayout.FromRows([Row(1, 1), Row(1, 2), Row(2, 1), Row(2, 2), Row(3, 1, LocDbStatus.Off), Row(3, 2, LocDbStatus.Maintenance)]);

        Assert.Equal(2, layout.GroupCount); // group 3 has no active row: p_usrloc counts it out, and so must we
        Assert.Contains(layout.Problems, p => p.StartsWith("group 3 is outside"));
    }

    [Fact]
    public void A_group_is_read_from_its_members_that_are_on_the_oldest_failover_first()
    {
        var layout = LocDbLayout.FromRows([
            Row(1, 1) with { Failover = 1_700_000_000 }, // switched on again recently: it may have missed writes
            Row(1, 2),
            Row(1, 3, spare: true),
            Row(2, 1, LocDbStatus.Off), Row(2, 2, LocDbStatus.Maintenance), Row(2, 3),
        ]);

        Assert.Equal([2, 1], layout.ReadOrderOf(1).Select(r => r.No));
        Assert.Empty(layout.ReadOrderOf(2)); // a spare is not read, nor a member that is off or in maintenance
    }

    [Fact]
    public void Members_are_the_first_rows_by_no_and_the_rest_are_spares()
    {
        var layout = LocDbLayout.FromRows([Row(1, 3, spare: true), Row(1, 2), Row(1, 1)], membersPerGroup: 2);

        Assert.Equal([1, 2], layout.MembersOf(1).Select(r => r.No));
        Assert.Equal([3], layout.SparesOf(1).Select(r => r.No));
        Assert.Equal(3, LocDbLayout.FromRows([Row(1, 3), Row(1, 2), Row(1, 1)], membersPerGroup: 3).MembersOf(1).Count);
    }

    [Fact]
    public void Gaps_and_thin_groups_are_reported()
    {
        var layout = LocDbLayout.FromRows([Row(1, 1), Row(3, 1), Row(3, 2)]);

        Assert.Equal(3, layout.GroupCount);
        Assert.Equal(["group 1 has 1 of 2 member rows", "group 2 has no locdb rows: its users cannot be served"], layout.Problems);
    }

    [Fact]
    public void No_active_row_means_no_layout()
    {
        Assert.Throws<InvalidOperationException>(() => LocDbLayout.FromRows([Row(1, 1, LocDbStatus.Off)]));
        Assert.Contains("group ids start at 1", Assert.Throws<InvalidOperationException>(() => LocDbLayout.FromRows([Row(0, 1)])).Message);
    }

    [Fact]
    public void Recovery_window_follows_p_usrloc()
    {
        var now = 1_700_000_000L;
        var row = Row(1, 1) with { Failover = now - 100 };

        Assert.True(row.IsRecovering(now, expireTime: 3600));
        Assert.False(row.IsRecovering(now, expireTime: 60));
        Assert.False((row with { Failover = LocDbRow.ZeroTime }).IsRecovering(now, long.MaxValue / 2));
        Assert.False((row with { Failover = LocDbRow.DefaultTime }).IsRecovering(now, long.MaxValue / 2));
        Assert.False((row with { Status = LocDbStatus.Off }).IsRecovering(now, 3600));
    }
}
