using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Running;
using LocationActors.Benchmarks;

// `memory` runs the group-size report (MemoryReport), `resync` the resync report; anything else goes to BenchmarkDotNet's own command line
// (--filter, --job short|medium, ...), as bench/hotpaths.sh calls it.
if (args.Length > 0 && args[0] == "memory")
    return await MemoryReport.RunAsync(args[1..]);
// `resync URL URL [SIZE...]`: a resync's full read against the table digests, on two MariaDB databases (ResyncReport).
if (args.Length > 0 && args[0] == "resync")
    return await ResyncReport.RunAsync(args[1..]);

var config = DefaultConfig.Instance
    .AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.Max)
    .AddExporter(MarkdownExporter.GitHub)
    .WithOptions(ConfigOptions.JoinSummary);
// The MariaDB upsert needs a server (bench/hotpaths.sh --mariadb starts one); without it the class is left out.
var benchmarks = typeof(Samples).Assembly.GetTypes()
    .Where(t => t.IsPublic && !t.IsAbstract && t.GetMethods().Any(m => m.IsDefined(typeof(BenchmarkAttribute), false)))
    .Where(t => t != typeof(UpsertMariaDbBenchmarks) || Environment.GetEnvironmentVariable("LA_BENCH_MARIADB_URL") is { Length: > 0 })
    .ToArray();
BenchmarkSwitcher.FromTypes(benchmarks).Run(args, config);
return 0;
