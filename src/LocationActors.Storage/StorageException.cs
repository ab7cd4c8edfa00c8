namespace LocationActors.Storage;

/// <summary>What went wrong with a database, in the terms a caller acts on.</summary>
public enum StorageErrorKind
{
    /// <summary>The URL in configuration or <c>locdb</c> is malformed. Not retried: an operator must fix it.</summary>
    InvalidUrl,

    /// <summary>Could not connect, or the connection broke. Transient: retry, count towards failover.</summary>
    Connection,

    /// <summary>A statement or connect attempt ran out of time (e.g. a frozen server). Transient.</summary>
    Timeout,

    /// <summary>The table or a column is missing or different: a broken database, not a broken request.</summary>
    Schema,

    /// <summary>A value cannot be stored (too long, out of range, constraint). The request is at fault; retrying won't help.</summary>
    InvalidData,

    /// <summary>Any other failure of a statement.</summary>
    Statement,
}

/// <summary>
/// A failed database operation. The message always names the database (password masked), the operation and the
/// reason, e.g. <c>mysql://kamailio:***@db1:3306/loc_g1: upsert 2 contacts into location failed (timeout): ...</c>.
/// </summary>
public sealed class StorageException(StorageErrorKind kind, string database, string operation, string reason, Exception? inner = null)
    : Exception($"{database}: {operation} failed ({Describe(kind)}): {reason}", inner)
{
    public StorageErrorKind Kind { get; } = kind;

    /// <summary>The database's URL with the password masked.</summary>
    public string Database { get; } = database;

    public string Operation { get; } = operation;

    /// <summary>A retry may succeed (connection lost, timeout, busy); the database, not the request, is at fault.</summary>
    public bool IsTransient => Kind is StorageErrorKind.Connection or StorageErrorKind.Timeout;

    private static string Describe(StorageErrorKind kind) => kind switch
    {
        StorageErrorKind.InvalidUrl => "invalid URL",
        StorageErrorKind.Connection => "connection",
        StorageErrorKind.Timeout => "timeout",
        StorageErrorKind.Schema => "schema",
        StorageErrorKind.InvalidData => "invalid data",
        _ => "statement",
    };
}
