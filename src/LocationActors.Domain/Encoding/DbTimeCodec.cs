namespace LocationActors.Domain.Encoding;

/// <summary>
/// How p_usrloc writes times into DATETIME columns: the wall-clock time of one time zone, formatted without an
/// offset (Kamailio uses the host's local zone, or UTC with <c>UTC_timestamps=1</c>). Every system sharing the
/// databases must use the same zone; UTC is the default here.
/// </summary>
public sealed class DbTimeCodec(TimeZoneInfo zone)
{
    public static DbTimeCodec Utc { get; } = new(TimeZoneInfo.Utc);

    /// <summary>The codec of a zone named as in configuration (an IANA name, e.g. <c>Europe/Berlin</c>, or <c>UTC</c>).</summary>
    /// <exception cref="TimeZoneNotFoundException">No such zone on this host.</exception>
    public static DbTimeCodec ForZone(string id) =>
        id is "UTC" or "Etc/UTC" ? Utc : new DbTimeCodec(TimeZoneInfo.FindSystemTimeZoneById(id));

    public TimeZoneInfo Zone { get; } = zone;

    /// <summary>Unix seconds → the DATETIME value (Kind Unspecified). 0 (a permanent contact) becomes the epoch in the zone.</summary>
    public DateTime ToDb(long unixSeconds)
    {
        var utc = DateTime.UnixEpoch.AddSeconds(unixSeconds);
        var wall = Zone == TimeZoneInfo.Utc ? utc : TimeZoneInfo.ConvertTimeFromUtc(utc, Zone);
        return DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
    }

    /// <summary>
    /// The DATETIME value → Unix seconds. A wall time repeated by a DST change is read as its first (daylight)
    /// occurrence and a skipped one as if the clock had not moved, which is what <c>mktime</c> with a guessed DST does.
    /// </summary>
    public long FromDb(DateTime wall)
    {
        wall = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
        if (Zone == TimeZoneInfo.Utc)
            return (long)(wall - DateTime.UnixEpoch).TotalSeconds;

        TimeSpan offset;
        if (Zone.IsInvalidTime(wall))
            offset = Zone.GetUtcOffset(wall.AddHours(-3));
        else if (Zone.IsAmbiguousTime(wall))
            offset = Zone.GetAmbiguousTimeOffsets(wall).Max();
        else
            offset = Zone.GetUtcOffset(wall);
        return (long)(wall - offset - DateTime.UnixEpoch).TotalSeconds;
    }

    /// <summary>The <c>YYYY-MM-DD HH:MM:SS</c> text Kamailio writes (also how SQLite stores the columns).</summary>
    public string ToDbText(long unixSeconds) =>
        ToDb(unixSeconds).ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);

    public long FromDbText(string text) =>
        FromDb(DateTime.ParseExact(text, ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-ddTHH:mm:ss"],
            System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None));
}
