using System.Globalization;

namespace LocationActors.Storage;

/// <summary>The database engines a URL can name.</summary>
public enum DatabaseKind
{
    MySql,
    Postgres,
    Sqlite,
}

/// <summary>
/// A database URL in Kamailio's form, as stored in <c>locdb.url</c>: <c>mysql://user:pass@host[:port]/db</c>,
/// <c>postgres://user:pass@host[:port]/db</c> (Kamailio's <c>db_postgres</c>), or <c>sqlite://path</c> for the embedded default (<c>sqlite:///abs/file.db</c>, <c>sqlite://relative/file.db</c>).
/// <see cref="ToString"/> masks the password, so the URL can go into logs and errors.
/// </summary>
public sealed record DatabaseUrl
{
    private static readonly (string Scheme, DatabaseKind Kind, int DefaultPort)[] ServerSchemes =
    [
        ("mysql://", DatabaseKind.MySql, 3306),
        ("postgres://", DatabaseKind.Postgres, 5432),
    ];

    private DatabaseUrl(DatabaseKind kind, string original, string? user, string? password, string? host, int port, string database)
    {
        Kind = kind;
        Original = original;
        User = user;
        Password = password;
        Host = host;
        Port = port;
        Database = database;
    }

    public DatabaseKind Kind { get; }

    /// <summary>The URL as given, password included: compare and store it, never log it.</summary>
    public string Original { get; }

    public string? User { get; }

    public string? Password { get; }

    /// <summary>Host name or address (MySQL, PostgreSQL); null for SQLite.</summary>
    public string? Host { get; }

    public int Port { get; }

    /// <summary>The database name (MySQL, PostgreSQL) or the file path (SQLite).</summary>
    public string Database { get; }

    /// <exception cref="StorageException">Kind <see cref="StorageErrorKind.InvalidUrl"/>, naming the masked URL and the problem.</exception>
    public static DatabaseUrl Parse(string url)
    {
        if (string.IsNullOrWhiteSpace(url))
            throw Invalid(url ?? "", "the URL is empty");
        if (url.StartsWith("sqlite://", StringComparison.OrdinalIgnoreCase))
        {
            var path = url["sqlite://".Length..];
            if (path.Length == 0)
                throw Invalid(url, "a sqlite URL needs a file path, e.g. sqlite:///var/lib/locationactors/master.db");
            return new DatabaseUrl(DatabaseKind.Sqlite, url, null, null, null, 0, path);
        }

        var server = ServerSchemes.FirstOrDefault(s => url.StartsWith(s.Scheme, StringComparison.OrdinalIgnoreCase));
        if (server.Scheme is null)
            throw Invalid(url, "the scheme must be mysql://, postgres:// or sqlite://");

        var rest = url[server.Scheme.Length..];
        // The password may hold '@', ':' or '/': the host starts after the last '@', as Kamailio reads it.
        var at = rest.LastIndexOf('@');
        string? user = null, password = null;
        if (at >= 0)
        {
            var userInfo = rest[..at];
            var colon = userInfo.IndexOf(':');
            user = colon < 0 ? userInfo : userInfo[..colon];
            password = colon < 0 ? null : userInfo[(colon + 1)..];
            if (user.Length == 0)
                throw Invalid(url, "the user name before '@' is empty");
            rest = rest[(at + 1)..];
        }

        var slash = rest.IndexOf('/');
        if (slash < 0 || slash == rest.Length - 1)
            throw Invalid(url, $"the database name is missing ({server.Scheme}user:pass@host[:port]/db)");
        var database = rest[(slash + 1)..];
        if (!IsPlainName(database))
            throw Invalid(url, $"'{database}' is not a database name (letters, digits, '_', '$', '-')");

        var hostPort = rest[..slash];
        var (host, port) = SplitHostPort(url, hostPort, server.DefaultPort);
        return new DatabaseUrl(server.Kind, url, user, password, host, port, database);
    }

    /// <summary>Like <see cref="Parse"/>, without throwing.</summary>
    public static bool TryParse(string url, out DatabaseUrl? result, out string? error)
    {
        try
        {
            result = Parse(url);
            error = null;
            return true;
        }
        catch (StorageException e)
        {
            result = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>The URL with the password replaced by <c>***</c>.</summary>
    public override string ToString() => Mask(Original);

    /// <summary>Masks the password of any URL-looking string (also one that failed to parse).</summary>
    public static string Mask(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        var at = url.LastIndexOf('@');
        if (scheme < 0 || at < scheme)
            return url;
        var colon = url.IndexOf(':', scheme + 3);
        return colon < 0 || colon > at ? url : string.Concat(url.AsSpan(0, colon + 1), "***", url.AsSpan(at));
    }

    private static (string Host, int Port) SplitHostPort(string url, string hostPort, int defaultPort)
    {
        string host;
        string? portText = null;
        if (hostPort.StartsWith('['))
        {
            var close = hostPort.IndexOf(']');
            if (close < 0)
                throw Invalid(url, "an IPv6 host lacks its closing ']'");
            host = hostPort[1..close];
            if (close + 1 < hostPort.Length)
            {
                if (hostPort[close + 1] != ':')
                    throw Invalid(url, "unexpected text after the IPv6 host");
                portText = hostPort[(close + 2)..];
            }
        }
        else
        {
            var colon = hostPort.LastIndexOf(':');
            host = colon < 0 ? hostPort : hostPort[..colon];
            portText = colon < 0 ? null : hostPort[(colon + 1)..];
        }

        if (host.Length == 0)
            throw Invalid(url, "the host is missing");
        if (portText is null)
            return (host, defaultPort);
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw Invalid(url, $"'{portText}' is not a port number (1..65535)");
        return (host, port);
    }

    private static bool IsPlainName(string s) =>
        s.Length <= 64 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '$' or '-');

    private static StorageException Invalid(string url, string reason) =>
        new(StorageErrorKind.InvalidUrl, Mask(url), "parse URL", reason);
}
