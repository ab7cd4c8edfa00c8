using System.Diagnostics;
using System.Globalization;

namespace LocationActors.Cluster.Hosting;

/// <summary>
/// A LocationActors program (a node, a proxy) run as a child process by a harness — the tests, the chaos runs: its
/// output goes to a log file, and it is told to exit with its parent (<see cref="ParentWatchdog"/>), so that it never
/// outlives a crashed run. Disposing it kills what still runs, by PID.
/// </summary>
public sealed class ChildProgram : IDisposable
{
    private readonly Process _process;
    private readonly Log _log;

    private ChildProgram(Process process, Log log)
    {
        _process = process;
        _log = log;
    }

    public string LogPath => _log.Path;

    public bool HasExited => _process.HasExited;

    /// <summary>Runs <c>dotnet exec <paramref name="dll"/> run</c>; a null value removes that variable from the inherited environment.</summary>
    /// <param name="networkNamespace">
    /// Runs it inside this network namespace (<c>ip netns exec</c>, which becomes the program: its PID is the program's).
    /// </param>
    public static ChildProgram Start(string dll, IEnumerable<KeyValuePair<string, string?>> environment, string logPath, string? networkNamespace = null)
    {
        var info = new ProcessStartInfo(networkNamespace is null ? "dotnet" : "ip",
            networkNamespace is null ? ["exec", dll, "run"] : ["netns", "exec", networkNamespace, "dotnet", "exec", dll, "run"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        info.Environment[ParentWatchdog.Variable] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

        var process = Process.Start(info) ?? throw new InvalidOperationException($"dotnet exec {dll} did not start");
        var log = new Log(logPath);
        process.OutputDataReceived += (_, e) => log.Write(e.Data);
        process.ErrorDataReceived += (_, e) => log.Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProgram(process, log);
    }

    /// <summary>SIGKILL of the program and anything it started: it dies as in a crash, without leaving the cluster.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    /// <summary>Sends a signal (<c>STOP</c>, <c>CONT</c>, <c>TERM</c>) to the program.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>The last lines the program logged, for a failure message.</summary>
    public IEnumerable<string> LastLines(int lines) => File.ReadLines(LogPath).TakeLast(lines).ToList();

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        _log.Close();
    }

    /// <summary>
    /// The program's log file: lines of its output and error streams, each written whole. Lines that still arrive once
    /// it is closed (the streams are read on their own threads) are dropped rather than thrown on those threads.
    /// </summary>
    private sealed class Log(string path)
    {
        private readonly StreamWriter _writer = new(path, append: true) { AutoFlush = true };
        private bool _closed;

        public string Path => path;

        public void Write(string? line)
        {
            if (line is null)
                return;
            lock (_writer)
            {
                if (!_closed)
                    _writer.WriteLine(line);
            }
        }

        public void Close()
        {
            lock (_writer)
            {
                _closed = true;
                _writer.Dispose();
            }
        }
    }
}
