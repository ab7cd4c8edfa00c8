using LocationActors.Domain.Contacts;
using LocationActors.TestSupport;

namespace LocationActors.Domain.Tests;

/// <summary>What a returning member's row becomes beside another writer: the complete member's table is the truth.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class CatchUpRuleTests
{
    private const long Now = BindingFields.Now;
    private static readonly ContactBinding Row = BindingFields.Sample("ann") with { LastModified = Now - 600 };

    [Fact]
    public void A_row_missing_on_the_returning_member_is_copied()
    {
        Assert.Equal(CatchUp.Copy, CatchUpRule.Decide(Row, null, Now, Now));
        Assert.Equal(CatchUp.Nothing, CatchUpRule.Decide(Row, Row, Now, Now));
        Assert.Equal(CatchUp.Nothing, CatchUpRule.Decide(null, null, Now, Now));
    }

    [Fact]
    public void The_newest_write_of_a_ruid_wins_by_last_modified_then_cseq()
    {
        var refreshed = Row with { LastModified = Row.LastModified + 30, Expires = Row.Expires + 30 };
        var readAt = refreshed.LastModified; // the returning member's newer row is as new as the read: a write racing the copy
        Assert.Equal(CatchUp.Copy, CatchUpRule.Decide(refreshed, Row, readAt, Now));
        Assert.Equal(CatchUp.KeepNewer, CatchUpRule.Decide(Row, refreshed, readAt, Now));

        var sameSecond = Row with { CSeq = Row.CSeq + 1 };
        Assert.Equal(CatchUp.Copy, CatchUpRule.Decide(sameSecond, Row, readAt, Now));
        Assert.Equal(CatchUp.KeepNewer, CatchUpRule.Decide(Row, sameSecond, Row.LastModified, Now));

        // Equally new but different: the complete member's version is the one both systems read.
        Assert.Equal(CatchUp.Copy, CatchUpRule.Decide(Row with { UserAgent = "other" }, Row, Now, Now));
    }

    [Fact]
    public void A_newer_row_of_the_returning_member_from_before_the_read_never_reached_the_complete_member_and_is_replaced()
    {
        var hungThenRan = Row with { LastModified = Row.LastModified + 30, CSeq = Row.CSeq + 1 };

        Assert.Equal(CatchUp.ReplaceStale, CatchUpRule.Decide(Row, hungThenRan, Now, Now));
        Assert.Equal(CatchUp.ReplaceStale, CatchUpRule.Decide(Row, hungThenRan, hungThenRan.LastModified + CatchUpRule.ClockMarginSeconds + 1, Now));
        Assert.Equal(CatchUp.KeepNewer, CatchUpRule.Decide(Row, hungThenRan, hungThenRan.LastModified + CatchUpRule.ClockMarginSeconds, Now));
    }

    [Fact]
    public void A_row_only_the_returning_member_holds_is_deleted_only_when_known_removed_or_expired()
    {
        // Older than the read that found it missing on the complete member: removed there while this one was away.
        Assert.Equal(CatchUp.Delete, CatchUpRule.Decide(null, Row, Now, Now));
        // Expired: nobody may read it anyway.
        Assert.Equal(CatchUp.Delete, CatchUpRule.Decide(null, Row with { LastModified = Now, Expires = Now - 1 }, Now, Now));
        // Written around or after that read (another writer's row on its way to both members): kept.
        Assert.Equal(CatchUp.KeepUnproven, CatchUpRule.Decide(null, Row with { LastModified = Now }, Now, Now));
        Assert.Equal(CatchUp.KeepUnproven,
            CatchUpRule.Decide(null, Row with { LastModified = Now - CatchUpRule.ClockMarginSeconds }, Now, Now));
        Assert.Equal(CatchUp.Delete,
            CatchUpRule.Decide(null, Row with { LastModified = Now - CatchUpRule.ClockMarginSeconds - 1 }, Now, Now));
        // A permanent contact never expires.
        Assert.Equal(CatchUp.KeepUnproven, CatchUpRule.Decide(null, Row with { LastModified = Now, Expires = ContactBinding.Permanent }, Now, Now));
    }
}
