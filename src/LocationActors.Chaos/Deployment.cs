using System.Diagnostics;
using LocationActors.Cluster.Hosting;

namespace LocationActors.Chaos;

/// <summary>
/// The processes under test — three nodes and the proxies, started from their build outputs — and the MariaDB instances
/// of <c>scripts/mariadb.sh</c>. Faults act on them by PID; a node that ends (killed, or downed after a pause) is
/// started again by <see cref="KeepAliveAsync"/>, as a supervisor would. Everything is stopped at the end.
/// </summary>
/// <param name="netns">A <c>--netns</c> run: every node and proxy in a network namespace of its own.</param>
public sealed class Deployment(string root, string logs, IReadOnlyDictionary<string, string> nodeEnvironment, int[] nodePorts, int[] httpPorts,
    IReadOnlyDictionary<string, string>? proxyEnvironment = null, bool netns = false)
    : IAsyncDisposable
{
    private readonly Dictionary<string, ChildProgram> _processes = new();
    private readonly HashSet<string> _held = [];
    private readonly List<(string Name, DateTime At)> _kills = [];

    public string Seeds => string.Join(",", nodePorts.Select(p => $"akka.tcp://location@{AddressOf($"node-{p}")}:{p}"));

    public IReadOnlyList<string> Nodes => nodePorts.Select(p => $"node-{p}").ToList();

    public IReadOnlyList<string> Proxies => httpPorts.Select(p => $"proxy-{p}").ToList();

    /// <summary>The namespaces of a <c>--netns</c> run; null otherwise (everything on 127.0.0.1).</summary>
    public ChaosNetwork? Network { get; } = netns ? new ChaosNetwork(nodePorts.Select(p => $"node-{p}").ToList(), httpPorts.Select(p => $"proxy-{p}").ToList()) : null;

    /// <summary>Where a node or proxy listens: its namespace's address, or loopback.</summary>
    public string AddressOf(string name) => Network?.AddressOf(name) ?? "127.0.0.1";

    /// <summary>A proxy's HTTP API.</summary>
    public Uri ProxyUri(string proxy) => new($"http://{AddressOf(proxy)}:{proxy["proxy-".Length..]}");

    public void StartAll()
    {
        foreach (var name in Nodes.Concat(Proxies))
            Start(name);
    }

    public void Start(string name)
    {
        var (dll, environment) = name.StartsWith("proxy-", StringComparison.Ordinal)
            ? ("LocationActors.Proxy", new Dictionary<string, string>(proxyEnvironment ?? new Dictionary<string, string>())
            {
                ["LA_HTTP_ENDPOINT"] = $"{AddressOf(name)}:{name["proxy-".Length..]}",
                ["LA_PROXY_HOST"] = AddressOf(name),
                ["LA_CONTACT_POINTS"] = Seeds,
                ["LA_SIP_ENABLED"] = "off",
                ["LA_CLUSTER_REFRESH_INTERVAL"] = "1s",
            })
            : ("LocationActors.Node", new Dictionary<string, string>(nodeEnvironment)
            {
                ["LA_NODE_HOST"] = AddressOf(name),
                ["LA_NODE_HTTP"] = $"{AddressOf(name)}:0",
                ["LA_NODE_PORT"] = name["node-".Length..],
                ["LA_SEED_NODES"] = Seeds,
            });
        var program = ChildProgram.Start(Path.Combine(root, "src", dll, "bin", "Release", "net10.0", dll + ".dll"),
            environment.Select(e => KeyValuePair.Create(e.Key, (string?)e.Value)), LogOf(name), Network?.NamespaceOf(name));
        lock (_processes)
        {
            if (_processes.Remove(name, out var ended))
                ended.Dispose();
            _processes[name] = program;
        }
    }

    /// <summary>SIGKILL, and no restart until <see cref="Release"/>.</summary>
    public void Kill(string name)
    {
        lock (_processes)
        {
            _held.Add(name);
            _kills.Add((name, DateTime.UtcNow));
        }

        _processes[name].Kill();
    }

    /// <summary>When the harness killed the process <paramref name="name"/>.</summary>
    public IReadOnlyList<DateTime> KilledAt(string name)
    {
        lock (_processes)
            return _kills.Where(k => k.Name == name).Select(k => k.At).ToList();
    }

    /// <summary>Where the process <paramref name="name"/> writes its log (every run of it, appended).</summary>
    public string LogOf(string name) => Path.Combine(logs, name + ".log");

    /// <summary>Lets <see cref="KeepAliveAsync"/> start the process again.</summary>
    public void Release(string name)
    {
        lock (_processes)
            _held.Remove(name);
    }

    public void Signal(string name, string signal) => _processes[name].Signal(signal);

    /// <summary>Starts again every process that ended and is not held down by a fault.</summary>
    public async Task KeepAliveAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            foreach (var (name, process) in _processes.ToList())
            {
                bool held;
                lock (_processes)
                    held = _held.Contains(name);
                if (!held && process.HasExited)
                    Start(name);
            }

            try
            {
                await Task.Delay(500, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Runs <c>scripts/mariadb.sh</c> (kill, start, freeze, thaw) on one instance.</summary>
    public async Task DatabaseAsync(string command, int instance)
    {
        using var process = Process.Start(new ProcessStartInfo("bash",
            [Path.Combine(root, "scripts", "mariadb.sh"), command, instance.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        await process.WaitForExitAsync();
    }

    public ValueTask DisposeAsync()
    {
        lock (_processes)
        {
            foreach (var program in _processes.Values)
                program.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
