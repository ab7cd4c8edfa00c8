using LocationActors.Domain.Encoding;

namespace LocationActors.Storage;

/// <summary>How the storage layer talks to its databases. The defaults suit a location service on a LAN.</summary>
public sealed record StorageOptions
{
    /// <summary>Zone of the DATETIME columns; must equal the Kamailio hosts' (or UTC with <c>UTC_timestamps=1</c>).</summary>
    public DbTimeCodec Times { get; init; } = DbTimeCodec.Utc;

    /// <summary>Connecting gives up after this long, so a dead server is noticed quickly.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// At most this many pooled connections per database URL (null: the driver's default, 100). A burst of callers then
    /// waits for a pooled connection instead of opening a hundred at once, which on a busy server takes longer than the
    /// connect timeout. Waiting for a pooled connection is bounded by <see cref="ConnectTimeout"/> too.
    /// </summary>
    public int? MaxPoolSize { get; init; }

    /// <summary>A statement gives up after this long, so a frozen server cannot stall its caller.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A statement that reads a whole table in one go (a digest) gives up after this long: it takes seconds per million
    /// rows on a busy server, far beyond <see cref="CommandTimeout"/>.
    /// </summary>
    public TimeSpan ScanTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Upper bound of rows per multi-row statement (each engine has a lower bound of its own: 500 for MariaDB,
    /// 25 for SQLite). A batch larger than one statement is split and runs in one transaction.
    /// </summary>
    public int MaxRowsPerStatement { get; init; } = 500;

    /// <summary>Rows fetched per page when streaming a whole table (bounded memory, however large the table).</summary>
    public int StreamPageSize { get; init; } = 5000;

    public static StorageOptions Default { get; } = new();
}
