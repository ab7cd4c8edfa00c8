using System.Diagnostics;
using LocationActors.Storage;
using Microsoft.Data.Sqlite;
using MySqlConnector;

namespace LocationActors.TestSupport;

/// <summary>
/// The real MariaDB servers of the project's <c>scripts/mariadb.sh</c>. Reads the env file that <c>up</c> writes.
/// When no server runs (a plain <c>dotnet test</c>), it starts them through the same script and leaves them running
/// for the next run: several test assemblies run at once and share them, so none may stop them under the others.
/// <c>scripts/test.sh</c> starts and stops them around the whole run; <c>scripts/mariadb.sh down</c> stops them by hand.
/// Every test gets a database of its own, dropped afterwards.
/// </summary>
public sealed class MariaDbServers : IAsyncLifetime
{
    private readonly List<(int Instance, string Database)> _created = [];
    private Dictionary<string, string> _env = new();

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Instances every test may use; they are never stopped while tests run.</summary>
    public const int SharedInstances = 2;

    /// <summary>
    /// Instances 3 to 5, reserved for the tests that kill, freeze and restart servers (one collection, run one test
    /// at a time): a shared instance must never disappear under a test that did not ask for it.
    /// </summary>
    public static readonly IReadOnlyList<int> DedicatedInstances = [3, 4, 5];

    /// <summary>
    /// Instances 6 and 7, reserved for the members of the Kamailio mixed-operation deployment, whose tests kill and
    /// freeze them; apart from 3 to 5, as both test assemblies run at the same time.
    /// </summary>
    public static readonly IReadOnlyList<int> MixedInstances = [6, 7];

    /// <summary>Instance 8, reserved for the member database the status page's browser test kills.</summary>
    public const int StatusPageInstance = 8;

    public async Task InitializeAsync()
    {
        if (!File.Exists(EnvFile) || !await RunningAsync(SharedInstances))
            await UpAsync(SharedInstances);
        else
            ReadEnv();
    }

    /// <summary>
    /// Starts instances 1..<paramref name="instances"/> where they do not run (thawing frozen ones), and reads the env
    /// file again. Only the failover tests ask for the dedicated instances.
    /// </summary>
    public async Task UpAsync(int instances)
    {
        await RunScriptAsync(["up"], instances);
        ReadEnv();
    }

    /// <summary>Starts these instances only (creating them when new), and reads the env file again.</summary>
    public async Task UpOnlyAsync(IEnumerable<int> instances)
    {
        await RunScriptAsync(["up", .. instances.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        ReadEnv();
    }

    /// <summary>Runs a chaos command of the script on one instance: kill, start, stop, freeze or thaw.</summary>
    public async Task ControlAsync(string command, int instance)
    {
        if (instance <= SharedInstances)
            throw new ArgumentOutOfRangeException(nameof(instance), $"instance {instance} is shared by every test; use one of {string.Join(", ", DedicatedInstances)}");
        await RunScriptAsync([command, instance.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
    }

    private void ReadEnv() =>
        _env = File.ReadAllLines(EnvFile)
            .Where(l => l.Contains('=') && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1].Trim('\''));

    public async Task DisposeAsync()
    {
        foreach (var (instance, database) in _created)
        {
            try
            {
                await ExecuteAsync(instance, $"DROP DATABASE IF EXISTS `{database}`");
            }
            catch (MySqlException)
            {
                // The server may have been stopped by a test; its data folder is temporary anyway.
            }
        }
    }

    /// <summary>The test user's password, so tests can check it never leaks into output.</summary>
    public string Password => _env["LA_DB_PASSWORD"];

    /// <summary>The Kamailio-style URL of a fresh, empty database on <paramref name="instance"/>.</summary>
    public async Task<DatabaseUrl> CreateDatabaseAsync(int instance = 1)
    {
        var name = "la_t_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync(instance, $"CREATE DATABASE `{name}`");
        lock (_created)
            _created.Add((instance, name));
        return DatabaseUrl.Parse($"{_env[$"LA_MARIADB_{instance}_URL"]}/{name}");
    }

    /// <summary>Runs SQL with the test user on a database (or on the server when <paramref name="database"/> is null).</summary>
    public async Task ExecuteAsync(int instance, string sql, string? database = null)
    {
        await using var connection = Open(instance, database);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs a query and returns every row as strings (NULL as null).</summary>
    public async Task<List<string?[]>> QueryAsync(DatabaseUrl url, string sql)
    {
        await using var connection = new MySqlConnection(ConnectionString(url));
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        return await ReadRowsAsync(reader);
    }

    /// <summary>Every row of a query as strings, times as the servers print them, NULL as null.</summary>
    public static async Task<List<string?[]>> ReadRowsAsync(System.Data.Common.DbDataReader reader)
    {
        var rows = new List<string?[]>();
        while (await reader.ReadAsync())
        {
            var row = new string?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i) switch
                {
                    DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), // as the server prints it
                    var v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture),
                };
            rows.Add(row);
        }

        return rows;
    }

    public static string ConnectionString(DatabaseUrl url) => new MySqlConnectionStringBuilder
    {
        Server = url.Host, Port = (uint)url.Port, UserID = url.User, Password = url.Password, Database = url.Database,
        AllowUserVariables = true,
    }.ConnectionString;

    private MySqlConnection Open(int instance, string? database) => new(new MySqlConnectionStringBuilder
    {
        Server = _env["LA_DB_HOST"],
        Port = uint.Parse(_env[$"LA_MARIADB_{instance}_PORT"], System.Globalization.CultureInfo.InvariantCulture),
        UserID = _env["LA_DB_USER"],
        Password = _env["LA_DB_PASSWORD"],
        Database = database ?? "",
    }.ConnectionString);

    private static string StateDirectory =>
        Environment.GetEnvironmentVariable("LA_DB_DIR") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetEnvironmentVariable("TMPDIR") is { Length: > 0 } tmp ? tmp : "/tmp", "locationactors-mariadb");

    private static string EnvFile => Path.Combine(StateDirectory, "env");

    /// <summary>Whether instances 1..<paramref name="instances"/> all run (others may be down on purpose).</summary>
    private static async Task<bool> RunningAsync(int instances)
    {
        var (code, output) = await RunScriptCapturedAsync(["status"]);
        var running = output.Split('\n').Where(l => l.EndsWith(" running", StringComparison.Ordinal))
            .Select(l => l.Split(' ')[0]).ToHashSet();
        return code == 0 && Enumerable.Range(1, instances).All(i => running.Contains(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static async Task RunScriptAsync(string[] args, int? instances = null)
    {
        var (code, output) = await RunScriptCapturedAsync(args, instances);
        if (code != 0)
            throw new InvalidOperationException($"scripts/mariadb.sh {string.Join(' ', args)} failed ({code}):\n{output}");
    }

    private static async Task<(int Code, string Output)> RunScriptCapturedAsync(string[] args, int? instances = null)
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot, "scripts", "mariadb.sh"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        // Explicit, so that an LA_DB_INSTANCES in the environment never makes `up` restart an instance a test killed.
        if (instances is { } count)
            info.Environment["LA_DB_INSTANCES"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LocationActors.sln")))
                return dir.FullName;
        throw new InvalidOperationException("LocationActors.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A folder of SQLite files for one test class, removed afterwards.</summary>
public sealed class SqliteFolder : IDisposable
{
    public SqliteFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "la-sqlite-" + Guid.NewGuid().ToString("N")[..12]);

    public DatabaseUrl NewDatabase() => DatabaseUrl.Parse($"sqlite://{System.IO.Path.Combine(Path, Guid.NewGuid().ToString("N")[..12] + ".db")}");

    /// <summary>Runs a query with the plain driver (as another program would) and returns rows as text, NULL as null.</summary>
    public static async Task<List<string?[]>> QueryAsync(DatabaseUrl url, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={url.Database}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string?[]>();
        while (await reader.ReadAsync())
            rows.Add(Enumerable.Range(0, reader.FieldCount)
                .Select(i => reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))
                .ToArray());
        return rows;
    }

    /// <summary>Runs a statement with the plain driver, as another writer (such as Kamailio) would.</summary>
    public static async Task ExecuteAsync(DatabaseUrl url, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={url.Database}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}
