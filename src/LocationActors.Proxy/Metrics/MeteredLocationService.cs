using System.Diagnostics;
using System.Runtime.CompilerServices;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Registrations;
using LocationActors.Proxy.Client;
using LocationActors.Proxy.Service;
using Prometheus;

namespace LocationActors.Proxy.Metrics;

/// <summary>
/// Counts and times every call of the location service, whoever makes it (HTTP API, SIP front end), for
/// <c>GET /metrics</c>: <c>location_proxy_requests_total{operation,outcome}</c> and
/// <c>location_proxy_request_duration_seconds{operation}</c>.
/// </summary>
public sealed class MeteredLocationService(ILocationService inner) : ILocationService
{
    private static readonly Counter Requests = Prometheus.Metrics.CreateCounter("location_proxy_requests_total",
        "Requests to the location service, by operation and outcome (ok, not_found, invalid, refused, unavailable).",
        new CounterConfiguration { LabelNames = ["operation", "outcome"] });

    private static readonly Histogram Duration = Prometheus.Metrics.CreateHistogram("location_proxy_request_duration_seconds",
        "Time from the call to its answer, by operation.",
        new HistogramConfiguration { LabelNames = ["operation"], Buckets = Histogram.ExponentialBuckets(0.0001, 2, 17) });

    public ClusterView View => inner.View;

    public Result<Aor> ParseAor(string text) => inner.ParseAor(text);

    public Result<int> GroupOf(Aor aor) => inner.GroupOf(aor);

    public Task<Result<LookupResult>> LookupAsync(Aor aor, uint? methodBit = null, CancellationToken ct = default) =>
        MeasureAsync("lookup", () => inner.LookupAsync(aor, methodBit, ct), found => found.Contacts.Count == 0 ? "not_found" : "ok");

    public Task<Result<RegisterResult>> RegisterAsync(RegisterRequest request, CancellationToken ct = default) =>
        MeasureAsync("register", () => inner.RegisterAsync(request, ct));

    public Task<Result<ContactsRemoved>> RemoveAorAsync(Aor aor, CancellationToken ct = default) =>
        MeasureAsync("remove", () => inner.RemoveAorAsync(aor, ct));

    public Task<Result<ContactsRemoved>> RemoveContactAsync(Aor aor, string contact, CancellationToken ct = default) =>
        MeasureAsync("remove", () => inner.RemoveContactAsync(aor, contact, ct));

    public async IAsyncEnumerable<DumpItem> DumpAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        var outcome = "ok";
        await foreach (var item in inner.DumpAsync(ct))
        {
            if (item.Failure is { } failure)
                outcome = Outcome(failure);
            yield return item;
        }

        Requests.WithLabels("dump", outcome).Inc();
    }

    public Task<Result<LocDbMemberChanged>> ChangeMemberAsync(int groupId, int no, MemberChange change, CancellationToken ct = default) =>
        MeasureAsync("change_member", () => inner.ChangeMemberAsync(groupId, no, change, ct));

    private static async Task<Result<T>> MeasureAsync<T>(string operation, Func<Task<Result<T>>> call, Func<T, string>? outcomeOf = null)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await call();
        Duration.WithLabels(operation).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        Requests.WithLabels(operation, result.Failure is { } failure ? Outcome(failure) : outcomeOf?.Invoke(result.Value!) ?? "ok").Inc();
        return result;
    }

    private static string Outcome(Failure failure) => failure.Kind switch
    {
        FailureKind.Invalid => "invalid",
        FailureKind.Refused => "refused",
        _ => "unavailable",
    };
}
