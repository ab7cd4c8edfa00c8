namespace LocationActors.Domain.LocDb;

/// <summary>The <c>locdb.status</c> codes (p_usrloc <c>ul_db_handle.h</c>; its module comment has them wrong).</summary>
public enum LocDbStatus
{
    /// <summary>Failed; the watcher probes it and turns it on again.</summary>
    Off = 0,

    /// <summary>In service.</summary>
    On = 1,

    /// <summary>Maintenance: set and cleared by an operator only, never touched automatically.</summary>
    Maintenance = 2,
}

/// <summary>
/// One row of the master <c>locdb</c> table: a database that is a member (or spare) of a location group.
/// Times are Unix seconds; <see cref="Failover"/> is the time of the last off/on/spare switch.
/// </summary>
/// <param name="Id">Location group id, 1..N.</param>
/// <param name="No">Member number; rows are ordered by it, the first ones are the members, the rest spares or parked.</param>
/// <param name="Url">Kamailio-style database URL, e.g. <c>mysql://user:pass@host:3306/loc_g1</c>.</param>
/// <param name="Status">Off, on or maintenance.</param>
/// <param name="Errors">Cumulative error count; reset only when the member is turned on again.</param>
/// <param name="Failover">Last switch time (Unix seconds); the ZERO marker or the 1900 default mean "never / reset".</param>
/// <param name="Spare">May replace a failed member (failover level 2).</param>
/// <param name="RiskGroup">The <c>rg</c> column: a spare must come from another risk group (e.g. another host).</param>
public sealed record LocDbRow(int Id, int No, string Url, LocDbStatus Status, int Errors, long Failover, bool Spare, int RiskGroup)
{
    /// <summary>p_usrloc's reset marker <c>UL_DB_ZERO_TIME</c>: time_t −2^31 (1901-12-13 20:45:52 UTC).</summary>
    public const long ZeroTime = -2147483648;

    /// <summary>The column default <c>1900-01-01 00:00:01</c> (UTC), which p_usrloc also reads as "not recovering".</summary>
    public const long DefaultTime = -2208988799;

    /// <summary>Whether a failover stamp is one of p_usrloc's "reset" markers (ZERO or the column default, both before 1902).</summary>
    public static bool IsReset(long failover) => failover <= ZeroTime;

    /// <summary>
    /// p_usrloc's recovery window: an active member switched on within the last <paramref name="expireTime"/>
    /// seconds has missed writes and is read only as a fallback.
    /// </summary>
    public bool IsRecovering(long now, long expireTime) =>
        Status == LocDbStatus.On && !IsReset(Failover) && Failover >= now - expireTime;
}
