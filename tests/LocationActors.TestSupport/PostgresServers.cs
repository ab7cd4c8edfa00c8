using System.Diagnostics;
using System.Globalization;
using LocationActors.Storage;
using Npgsql;

namespace LocationActors.TestSupport;

/// <summary>
/// The real PostgreSQL servers of the project's <c>scripts/postgres.sh</c>, as <see cref="MariaDbServers"/> are
/// MariaDB's: it reads the env file that <c>up</c> writes, starts the shared instances through the script when they
/// do not run (and leaves them running for the other test assemblies), and gives every test a database of its own,
/// dropped afterwards.
/// </summary>
public sealed class PostgresServers : IAsyncLifetime
{
    private readonly List<(int Instance, string Database)> _created = [];
    private Dictionary<string, string> _env = new();

    /// <summary>Instances every test may use; they are never stopped while tests run.</summary>
    public const int SharedInstances = 2;

    /// <summary>Instances 3 and 4, reserved for the tests that kill and freeze a server (one collection at a time).</summary>
    public static readonly IReadOnlyList<int> DedicatedInstances = [3, 4];

    public async Task InitializeAsync()
    {
        if (!File.Exists(EnvFile) || !await RunningAsync(SharedInstances))
            await RunScriptAsync(["up"], SharedInstances);
        ReadEnv();
    }

    /// <summary>Starts these instances (creating them when new), and reads the env file again.</summary>
    public async Task UpOnlyAsync(IEnumerable<int> instances)
    {
        await RunScriptAsync(["up", .. instances.Select(i => i.ToString(CultureInfo.InvariantCulture))]);
        ReadEnv();
    }

    /// <summary>Runs a chaos command of the script on a dedicated instance: kill, start, stop, freeze or thaw.</summary>
    public async Task ControlAsync(string command, int instance)
    {
        if (instance <= SharedInstances)
            throw new ArgumentOutOfRangeException(nameof(instance), $"instance {instance} is shared by every test; use one of {string.Join(", ", DedicatedInstances)}");
        await RunScriptAsync([command, instance.ToString(CultureInfo.InvariantCulture)]);
    }

    public string Password => _env["LA_PG_PASSWORD"];

    /// <summary>The Kamailio-style URL (<c>postgres://…</c>) of a fresh, empty database on <paramref name="instance"/>.</summary>
    public async Task<DatabaseUrl> CreateDatabaseAsync(int instance = 1)
    {
        var name = "la_t_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = Open(instance, "postgres"))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        lock (_created)
            _created.Add((instance, name));
        return DatabaseUrl.Parse($"{_env[$"LA_POSTGRES_{instance}_URL"]}/{name}");
    }

    /// <summary>Runs a statement with the test role on the database of <paramref name="url"/>.</summary>
    public static async Task ExecuteAsync(DatabaseUrl url, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(url));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs a query and returns every row as strings, as psql prints them (NULL as null).</summary>
    public static async Task<List<string?[]>> QueryAsync(DatabaseUrl url, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(url));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        return await MariaDbServers.ReadRowsAsync(reader);
    }

    public static string ConnectionString(DatabaseUrl url) => new NpgsqlConnectionStringBuilder
    {
        Host = url.Host, Port = url.Port, Username = url.User, Password = url.Password, Database = url.Database,
        // A test's own connections are not kept: a database is dropped at the end, which open sessions would prevent.
        Pooling = false,
    }.ConnectionString;

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools(); // the code under test keeps pooled sessions on the databases about to go
        foreach (var (instance, database) in _created)
        {
            try
            {
                await using var connection = Open(instance, "postgres");
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
                await command.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException)
            {
                // The server may have been stopped by a test; its data folder is temporary anyway.
            }
        }
    }

    private NpgsqlConnection Open(int instance, string database) => new(new NpgsqlConnectionStringBuilder
    {
        Host = _env["LA_PG_HOST"],
        Port = int.Parse(_env[$"LA_POSTGRES_{instance}_PORT"], CultureInfo.InvariantCulture),
        Username = _env["LA_PG_USER"],
        Password = _env["LA_PG_PASSWORD"],
        Database = database,
        Pooling = false,
    }.ConnectionString);

    private void ReadEnv() =>
        _env = File.ReadAllLines(EnvFile)
            .Where(l => l.Contains('=') && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1].Trim('\''));

    private static string StateDirectory =>
        Environment.GetEnvironmentVariable("LA_PG_DIR") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetEnvironmentVariable("TMPDIR") is { Length: > 0 } tmp ? tmp : "/tmp", "locationactors-postgres");

    private static string EnvFile => Path.Combine(StateDirectory, "env");

    private static async Task<bool> RunningAsync(int instances)
    {
        var (code, output) = await RunScriptCapturedAsync(["status"]);
        var running = output.Split('\n').Where(l => l.EndsWith(" running", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).ToHashSet();
        return code == 0 && Enumerable.Range(1, instances).All(i => running.Contains(i.ToString(CultureInfo.InvariantCulture)));
    }

    private static async Task RunScriptAsync(string[] args, int? instances = null)
    {
        var (code, output) = await RunScriptCapturedAsync(args, instances);
        if (code != 0)
            throw new InvalidOperationException($"scripts/postgres.sh {string.Join(' ', args)} failed ({code}):\n{output}");
    }

    private static async Task<(int Code, string Output)> RunScriptCapturedAsync(string[] args, int? instances = null)
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(MariaDbServers.RepositoryRoot, "scripts", "postgres.sh"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        if (instances is { } count)
            info.Environment["LA_PG_INSTANCES"] = count.ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
