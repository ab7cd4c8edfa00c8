using System.Net;
using System.Net.Sockets;
using LocationActors.Cluster.Hosting;

namespace LocationActors.TestSupport;

/// <summary>
/// Real node processes (<c>LocationActors.Node run</c>) on loopback, each with its own port and log file, and
/// proxies (<c>LocationActors.Proxy run</c>) in front of them. Everything started here is killed by PID when the
/// test ends. The test project must reference the programs it starts, so their binaries sit next to its own.
/// </summary>
public sealed class NodeProcesses : IDisposable
{
    private readonly List<(string Kind, int Port, ChildProgram Program)> _nodes = [];
    private readonly string _logs = Directory.CreateTempSubdirectory("la-nodes-").FullName;

    public NodeProcesses(int count)
    {
        Ports = Enumerable.Range(0, count).Select(_ => FreePort()).ToList();
    }

    public IReadOnlyList<int> Ports { get; }

    public string SeedNodes => string.Join(",", Ports.Select(p => $"akka.tcp://location@127.0.0.1:{p}"));

    /// <summary>Starts a node listening on <paramref name="port"/> (one of <see cref="Ports"/>), seeded with all of them.</summary>
    public void Start(int port, IDictionary<string, string> environment)
    {
        var variables = new Dictionary<string, string?>(environment.Select(e => KeyValuePair.Create(e.Key, (string?)e.Value)))
        {
            ["LA_NODE_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LA_SEED_NODES"] = SeedNodes,
            ["LA_NODE_CONFIG"] = null,
        };
        Launch("node", "LocationActors.Node.dll", port, variables);
    }

    /// <summary>Starts a proxy whose HTTP API listens on <paramref name="httpPort"/>, with every node as a contact point.</summary>
    public void StartProxy(int httpPort, IDictionary<string, string> environment)
    {
        var variables = new Dictionary<string, string?>(environment.Select(e => KeyValuePair.Create(e.Key, (string?)e.Value)))
        {
            ["LA_HTTP_ENDPOINT"] = $"127.0.0.1:{httpPort}",
            ["LA_CONTACT_POINTS"] = SeedNodes,
            ["LA_PROXY_CONFIG"] = null,
        };
        Launch("proxy", "LocationActors.Proxy.dll", httpPort, variables);
    }

    private void Launch(string kind, string dll, int port, IDictionary<string, string?> environment)
    {
        var program = ChildProgram.Start(ProgramPath(dll), environment, Path.Combine(_logs, $"{kind}-{port}.log"));
        _nodes.RemoveAll(n => n.Port == port && n.Program.HasExited);
        _nodes.Add((kind, port, program));
    }

    /// <summary>SIGKILL: the process (node or proxy) dies without leaving the cluster, as in a crash.</summary>
    public void Kill(int port) => _nodes.Last(n => n.Port == port).Program.Kill();

    /// <summary>Sends a signal (<c>TERM</c>: stop in order) to the process (node or proxy) on <paramref name="port"/>.</summary>
    public void Signal(int port, string signal) => _nodes.Last(n => n.Port == port).Program.Signal(signal);

    /// <summary>Whether the process on <paramref name="port"/> has ended.</summary>
    public bool HasExited(int port) => _nodes.Last(n => n.Port == port).Program.HasExited;

    /// <summary>The last lines every node logged, for a failure message.</summary>
    public string Logs(int lines = 15) => string.Join("\n", _nodes.Select(n =>
        $"--- {n.Kind} {n.Port} ---\n" + string.Join("\n", n.Program.LastLines(lines))));

    public void Dispose()
    {
        foreach (var (_, _, program) in _nodes)
            program.Dispose();
    }

    /// <summary>
    /// A program in its own build output (same configuration as the tests): its dependencies there are the ones it was
    /// built with, which a test folder holding several programs does not guarantee (the proxy brings ASP.NET Core's).
    /// </summary>
    private static string ProgramPath(string dll)
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)); // .../bin/<Configuration>/<tfm>
        var (tfm, configuration) = (testOutput.Name, testOutput.Parent!.Name);
        var own = Path.Combine(MariaDbServers.RepositoryRoot, "src", Path.GetFileNameWithoutExtension(dll), "bin", configuration, tfm, dll);
        return File.Exists(own) ? own : Path.Combine(AppContext.BaseDirectory, dll);
    }

    /// <summary>
    /// A port free on loopback for TCP and UDP, for a program started later to listen on. It is taken below the
    /// kernel's ephemeral range (32768 and up), because a port the kernel picked for us and gave back is free for it
    /// to pick again: a CI run lost a test when a proxy's own port-0 remoting listener was given the port its node
    /// had been handed a second earlier and had not bound yet. Ports below the range are only ever taken by name.
    /// The test assemblies run in parallel processes, each handing out ports, so a port is also reserved across
    /// processes (<see cref="ReserveAcrossProcesses"/>): a CI run lost a test when a cluster's first seed node never
    /// listened, most likely because another test process had been handed the same port in the same second.
    /// </summary>
    public static int FreePort()
    {
        lock (HandedOut)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(FirstPort, EphemeralStart);
                if (!HandedOut.ContainsKey(port) && FreeOnLoopback(port) && ReserveAcrossProcesses(port) is { } reservation)
                {
                    HandedOut.Add(port, reservation);
                    return port;
                }
            }
        }
        throw new InvalidOperationException($"no free port on loopback between {FirstPort} and {EphemeralStart}");
    }

    private const int FirstPort = 20000;
    private const int EphemeralStart = 32768;
    private static readonly Dictionary<int, FileStream> HandedOut = []; // each port with its reservation
    private static readonly string Reservations = Path.Combine(Path.GetTempPath(), "locationactors-test-ports");

    static NodeProcesses() => AppDomain.CurrentDomain.ProcessExit += (_, _) => ReleaseReservations();

    private static string ReservationOf(int port) => Path.Combine(Reservations, port.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// Reserves <paramref name="port"/> for this process: a file named after it, held open with an exclusive lock
    /// (<see cref="FileShare.None"/>, a <c>flock</c> on Linux) until this process ends; null when another process
    /// holds it. The kernel drops the lock when the process dies, however it dies, so no reservation outlives its
    /// process.
    /// </summary>
    private static FileStream? ReserveAcrossProcesses(int port)
    {
        Directory.CreateDirectory(Reservations);
        try
        {
            return new FileStream(ReservationOf(port), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Each file is removed before its lock is let go, so no other process can lock a file about to vanish.</summary>
    private static void ReleaseReservations()
    {
        lock (HandedOut)
            foreach (var (port, reservation) in HandedOut)
            {
                File.Delete(ReservationOf(port));
                reservation.Dispose();
            }
    }

    private static bool FreeOnLoopback(int port)
    {
        try
        {
            var tcp = new TcpListener(IPAddress.Loopback, port);
            tcp.Start();
            tcp.Stop();
            using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
