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
    private readonly StreamWriter _log;

    private ChildProgram(Process process, StreamWriter log, string logPath)
    {
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    public string LogPath { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Runs <c>dotnet exec <paramref name="dll"/> run</c>; a null value removes that variable from the inherited environment.</summary>
    public static ChildProgram Start(string dll, IEnumerable<KeyValuePair<string, string?>> environment, string logPath)
    {
        var info = new ProcessStartInfo("dotnet", ["exec", dll, "run"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        info.Environment[ParentWatchdog.Variable] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

        var process = Process.Start(info) ?? throw new InvalidOperationException($"dotnet exec {dll} did not start");
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProgram(process, log, logPath);
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
    public IEnumerable<string> LastLines(int lines)
    {
        lock (_log)
            return File.ReadLines(LogPath).TakeLast(lines).ToList();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        lock (_log)
            _log.Dispose();
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
            return;
        lock (log)
        {
            if (log.BaseStream.CanWrite)
                log.WriteLine(line);
        }
    }
}
