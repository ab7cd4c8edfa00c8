namespace LocationActors.Domain.Contacts;

/// <summary>What a returning member's row of one ruid must become (see <see cref="CatchUpRule"/>).</summary>
public enum CatchUp
{
    /// <summary>The returning member already holds what it should.</summary>
    Nothing,

    /// <summary>Write the complete member's row to the returning member (missing there, or older there).</summary>
    Copy,

    /// <summary>Delete the returning member's row: it expired, or the complete member removed it while this one was away.</summary>
    Delete,

    /// <summary>Keep the returning member's row: it is newer (last_modified, then CSeq) than the complete member's.</summary>
    KeepNewer,

    /// <summary>
    /// Write the complete member's row over a newer one of the returning member that is older than the read: no writer
    /// writes a member that is out of traffic, so that version reached only this member while it was away — a
    /// statement that hung on a frozen server and ran when it thawed, which its writer saw fail. The complete
    /// member's version is what was stored where it counts.
    /// </summary>
    ReplaceStale,

    /// <summary>
    /// Keep the returning member's row, missing on the complete member: it was written after the complete member was
    /// read (another writer's row on its way to both), so nobody is known to have removed it.
    /// </summary>
    KeepUnproven,
}

/// <summary>
/// How a member returning to traffic catches up while other writers (Kamailio p_usrloc) use the same tables: the
/// truth is the complete member's <em>table</em>, not the group's memory, and no row another writer put there may be
/// lost. Both writers write every member that takes traffic (a returning one included, p_usrloc spec §5), and none
/// writes a member that is off or in maintenance; so a row on the returning member that the complete member lacks is
/// either a removal it missed (the row is older than the moment the complete member was read) or a write racing the
/// copy (the row is as new as that moment, or newer). Only the first may be deleted. Between two versions of one
/// ruid the newest write wins, by last_modified and then CSeq — unless the returning member's newer version is older
/// than that moment too: then it never reached the complete member, and the complete member's version wins.
/// </summary>
public static class CatchUpRule
{
    /// <summary>
    /// Seconds a row's last_modified must lie before the moment the complete member was read for its absence there to
    /// prove a removal: DATETIME keeps whole seconds, and the writers' clocks (Kamailio hosts, nodes) may differ a
    /// little.
    /// </summary>
    public const long ClockMarginSeconds = 2;

    /// <param name="complete">The ruid's row on the complete member, or null when it has none.</param>
    /// <param name="returning">The ruid's row on the returning member, or null when it has none.</param>
    /// <param name="completeReadAt">When the complete member's row (or its absence) was read, Unix seconds.</param>
    /// <param name="now">The current time, Unix seconds, for expiry.</param>
    public static CatchUp Decide(ContactBinding? complete, ContactBinding? returning, long completeReadAt, long now)
    {
        if (complete is not null)
        {
            if (returning is null)
                return CatchUp.Copy;
            if (returning == complete)
                return CatchUp.Nothing;
            if (!IsNewer(returning, complete))
                return CatchUp.Copy;
            return returning.LastModified < completeReadAt - ClockMarginSeconds ? CatchUp.ReplaceStale : CatchUp.KeepNewer;
        }

        if (returning is null)
            return CatchUp.Nothing;
        if (!returning.IsValidAt(now))
            return CatchUp.Delete;
        return returning.LastModified < completeReadAt - ClockMarginSeconds ? CatchUp.Delete : CatchUp.KeepUnproven;
    }

    /// <summary>The newer of two versions of one binding: the later last_modified, then the higher CSeq.</summary>
    public static bool IsNewer(ContactBinding candidate, ContactBinding than) =>
        candidate.LastModified != than.LastModified ? candidate.LastModified > than.LastModified : candidate.CSeq > than.CSeq;
}
