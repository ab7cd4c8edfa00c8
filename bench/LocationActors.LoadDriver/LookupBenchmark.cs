using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;
using LocationActors.Proxy.Client;
using LocationActors.Proxy.Configuration;
using LocationActors.Proxy.Service;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LocationActors.Bench;

/// <summary>
/// Lookups from a proxy to a running cluster, closed loop: a fixed number of requests in flight, each sent as soon as
/// the previous one was answered, for a fixed time. Three ways in: the proxy's <c>LocationProxy</c> (one long-lived
/// sender, replies matched by id), a naive Ask through the cluster client per request (a new temporary sender each
/// time), and the HTTP API. Prints one markdown table row per way and concurrency.
/// </summary>
public static class LookupBenchmark
{
    public static async Task<int> RunAsync(string contactPoints, int users, TimeSpan duration, IReadOnlyList<int> concurrencies, string? httpUrl,
        TextWriter output, CancellationToken ct)
    {
        var config = ProxyConfig.Load(environment: key => key switch
        {
            "LA_CONTACT_POINTS" => contactPoints,
            "LA_LOG_LEVEL" => "WARNING",
            _ => Environment.GetEnvironmentVariable(key),
        });
        var settings = ProxySettings.FromConfig(config);
        var view = new ClusterViewSource();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddAkka("proxy", akka => akka.AddHocon(config, HoconAddMode.Prepend).WithLocationProxy(settings.Cluster, view));
        using var host = builder.Build();
        await host.StartAsync(ct);
        var registry = ActorRegistry.For(host.Services.GetRequiredService<ActorSystem>());
        var clusterClient = registry.Get<ClusterClient>();
        try
        {
            var service = new LocationService(registry.Get<LocationProxy>(), view, settings.Cluster.RequestTimeout);
            var ready = Stopwatch.StartNew();
            while (service.View.NotReady is { } reason)
            {
                if (ready.Elapsed > TimeSpan.FromSeconds(60))
                {
                    await output.WriteLineAsync($"the cluster is not ready: {reason}");
                    return 1;
                }

                await Task.Delay(200, ct);
            }

            var aors = Enumerable.Range(0, users).Select(i => service.ParseAor($"bench{i:D7}").Value!).ToList();
            foreach (var (aor, i) in aors.Select((a, i) => (a, i)))
            {
                var registered = await service.RegisterAsync(new RegisterRequest(aor,
                    [new ContactUpdate($"sip:{aor}@192.0.2.{i % 250 + 1}:5060", 3600, QValue.Unspecified)], $"bench-{i}", 1), ct);
                if (!registered.Ok)
                {
                    await output.WriteLineAsync($"registering {aor} failed: {registered.Failure!.Reason}");
                    return 1;
                }
            }

            await output.WriteLineAsync($"{users} AORs registered; each step runs {duration.TotalSeconds:0} s");
            await output.WriteLineAsync("| way in | in flight | lookups/s | p50 ms | p99 ms | failed |");
            await output.WriteLineAsync("|---|---|---|---|---|---|");
            long naiveId = 0;
            using var http = httpUrl is null ? null : new HttpClient { BaseAddress = new Uri(httpUrl) };
            var ways = new List<(string Name, Func<Aor, Task<bool>> Lookup)>
            {
                ("LocationProxy (correlating sender)", async aor => (await service.LookupAsync(aor, ct: ct)).Value is { Contacts.Count: 1 }),
                ("Ask per request via ClusterClient", async aor =>
                {
                    var group = service.GroupOf(aor).Value;
                    var answer = await clusterClient.Ask<object>(
                        new ClusterClient.Send(GroupsGateway.Path, new LookupContacts(group, Interlocked.Increment(ref naiveId), aor), localAffinity: true),
                        TimeSpan.FromSeconds(5), ct);
                    return answer is LookupResult { Contacts.Count: 1 };
                }),
            };
            if (http is not null)
                ways.Add(("HTTP GET /v1/aors/{aor}", async aor => (await http.GetAsync($"/v1/aors/{aor}", ct)).IsSuccessStatusCode));

            foreach (var (name, lookup) in ways)
            {
                foreach (var inFlight in concurrencies)
                {
                    await MeasureAsync(lookup, aors, TimeSpan.FromSeconds(2), inFlight, ct); // warm-up
                    var (count, failed, latencies) = await MeasureAsync(lookup, aors, duration, inFlight, ct);
                    latencies.Sort();
                    await output.WriteLineAsync($"| {name} | {inFlight} | {count / duration.TotalSeconds:N0} | {Percentile(latencies, 0.50):F2} | {Percentile(latencies, 0.99):F2} | {failed} |");
                }
            }

            return 0;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<(long Count, long Failed, List<double> LatenciesMs)> MeasureAsync(Func<Aor, Task<bool>> lookup, IReadOnlyList<Aor> aors,
        TimeSpan duration, int inFlight, CancellationToken ct)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var (count, failed) = (0L, 0L);
        var perWorker = await Task.WhenAll(Enumerable.Range(0, inFlight).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            var latencies = new List<double>();
            while (Stopwatch.GetTimestamp() < until && !ct.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                bool ok;
                try
                {
                    ok = await lookup(aors[random.Next(aors.Count)]);
                }
                catch (Exception e) when (e is AskTimeoutException or HttpRequestException or TaskCanceledException)
                {
                    ok = false;
                }

                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Interlocked.Increment(ref count);
                if (!ok)
                    Interlocked.Increment(ref failed);
            }

            return latencies;
        }, ct)));
        return (count, failed, perWorker.SelectMany(l => l).ToList());
    }

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, p * sorted.Count)];
}
