using BenchmarkDotNet.Attributes;
using LocationActors.Domain.Contacts;
using LocationActors.Storage;
using Microsoft.Data.Sqlite;
using MySqlConnector;

namespace LocationActors.Benchmarks;

/// <summary>
/// A member database handle's batch write (<see cref="LocationDatabase.UpsertAsync"/>: multi-row REPLACE by ruid).
/// Building a batch is measured apart from running it: the statement text is built once per row count and cached, so
/// what every batch pays is its parameters (22 per row). Running it is measured on SQLite (a file in a temporary
/// folder); <see cref="UpsertMariaDbBenchmarks"/> runs it on MariaDB.
/// </summary>
[MemoryDiagnoser]
public class UpsertBenchmarks
{
    private ContactBinding[] _batch = null!;
    private LocationDatabase _mysqlShape = null!;
    private LocationDatabase _sqlite = null!;
    private string _folder = null!;

    /// <summary>1: a lone REGISTER; 25: SQLite's rows per statement; 500: MariaDB's (one statement each).</summary>
    [Params(1, 25, 500)]
    public int Rows { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _batch = Enumerable.Range(0, Rows).Select(n => Samples.Binding(n)).ToArray();
        // Never connected: only its dialect is used to build commands.
        _mysqlShape = new LocationDatabase(DatabaseUrl.Parse("mysql://bench:bench@127.0.0.1:1/bench"));
        _folder = Directory.CreateTempSubdirectory("la-bench-upsert-").FullName;
        _sqlite = new LocationDatabase(DatabaseUrl.Parse("sqlite://" + Path.Combine(_folder, "location.db")));
        await _sqlite.CreateSchemaAsync();
        await _sqlite.UpsertAsync(_batch);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _sqlite.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>The statement text for this many rows (MariaDB's), built once per row count and then cached.</summary>
    [Benchmark]
    public string BuildStatementText() => _mysqlShape.BuildReplace(Rows);

    /// <summary>What every batch pays to build: a command and its parameters, as sent to MariaDB (all rows in one statement).</summary>
    [Benchmark]
    public MySqlCommand BuildMySqlParameters()
    {
        var command = new MySqlCommand();
        for (var row = 0; row < _batch.Length; row++)
            _mysqlShape.AddRow(command, row, _batch[row]);
        return command;
    }

    /// <summary>The whole upsert on SQLite: build, bind, run (500 rows: 20 statements of 25 in one transaction).</summary>
    [Benchmark]
    public Task<IReadOnlyList<RowFailure>> UpsertSqlite() => _sqlite.UpsertAsync(_batch);
}

/// <summary>
/// The whole upsert on a MariaDB server on loopback (<c>LA_BENCH_MARIADB_URL</c>, as <c>bench/hotpaths.sh --mariadb</c>
/// sets it): one REPLACE of up to 500 rows per round trip, InnoDB with its default durability.
/// </summary>
[MemoryDiagnoser]
public class UpsertMariaDbBenchmarks
{
    private ContactBinding[] _batch = null!;
    private LocationDatabase _mariadb = null!;

    [Params(1, 25, 500)]
    public int Rows { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        var url = Environment.GetEnvironmentVariable("LA_BENCH_MARIADB_URL") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("LA_BENCH_MARIADB_URL names no database (bench/hotpaths.sh --mariadb sets it)");
        _batch = Enumerable.Range(0, Rows).Select(n => Samples.Binding(n)).ToArray();
        _mariadb = new LocationDatabase(DatabaseUrl.Parse(url));
        await _mariadb.CreateSchemaAsync();
        await _mariadb.UpsertAsync(_batch);
    }

    [GlobalCleanup]
    public async Task Cleanup() => await _mariadb.DisposeAsync();

    [Benchmark]
    public Task<IReadOnlyList<RowFailure>> UpsertMariaDb() => _mariadb.UpsertAsync(_batch);
}
