using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LocationActors.Node.Tests;

/// <summary>
/// Real node processes (<c>LocationActors.Node run</c>) on loopback, each with its own port and log file.
/// Everything started here is killed by PID when the test ends.
/// </summary>
public sealed class NodeProcesses : IDisposable
{
    private readonly List<(int Port, Process Process, string Log)> _nodes = [];
    private readonly string _logs = Directory.CreateTempSubdirectory("la-nodes-").FullName;

    public NodeProcesses(int count)
    {
        Ports = Enumerable.Range(0, count).Select(_ => FreePort()).ToList();
    }

    public IReadOnlyList<int> Ports { get; }

    public string SeedNodes => string.Join(",", Ports.Select(p => $"akka.tcp://location@127.0.0.1:{p}"));

    public void Start(int port, IDictionary<string, string> environment)
    {
        var log = Path.Combine(_logs, $"node-{port}.log");
        var info = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "LocationActors.Node.dll"), "run"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        info.Environment["LA_NODE_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["LA_SEED_NODES"] = SeedNodes;
        info.Environment["LA_NODE_CONFIG"] = null;
        // Should this test host crash before it can kill them, the nodes notice and exit on their own.
        info.Environment["LA_EXIT_WITH_PARENT"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var process = Process.Start(info)!;
        var writer = new StreamWriter(log) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _nodes.Add((port, process, log));
    }

    /// <summary>SIGKILL: the node dies without leaving the cluster, as in a crash.</summary>
    public void Kill(int port)
    {
        var node = _nodes.Single(n => n.Port == port);
        node.Process.Kill(entireProcessTree: true);
        node.Process.WaitForExit(10_000);
    }

    /// <summary>The last lines every node logged, for a failure message.</summary>
    public string Logs(int lines = 15) => string.Join("\n", _nodes.Select(n =>
        $"--- node {n.Port} ---\n" + string.Join("\n", File.ReadLines(n.Log).TakeLast(lines))));

    public void Dispose()
    {
        foreach (var (_, process, _) in _nodes)
        {
            try
            {
                if (!process.HasExited)
                    process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }

            process.Dispose();
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
