using System.Diagnostics;
using LocationActors.TestSupport;

namespace LocationActors.Kamailio.Tests;

/// <summary>
/// A real Kamailio 5.6 (Debian's) run in the foreground from a configuration file with <c>-A</c> defines, its output in
/// a log file of its own folder. Killed with its children by PID when disposed.
/// </summary>
public sealed class KamailioProcess : IDisposable
{
    public const string ModulesPath = "/usr/lib/x86_64-linux-gnu/kamailio/modules/";

    private readonly Process _process;
    private readonly LogFile _log;

    private KamailioProcess(Process process, LogFile log, string logPath, int port)
    {
        _process = process;
        _log = log;
        LogPath = logPath;
        Port = port;
    }

    /// <summary>The UDP port it listens on, on 127.0.0.1.</summary>
    public int Port { get; }

    public string LogPath { get; }

    /// <summary>Starts Kamailio with <paramref name="config"/> and waits until it answers OPTIONS on <paramref name="port"/>.</summary>
    public static async Task<KamailioProcess> StartAsync(string config, int port, string folder, params string[] defines)
    {
        Directory.CreateDirectory(folder);
        // Debian installs it in /usr/sbin, which a non-login root PATH (a CI job) may not hold.
        var binary = File.Exists("/usr/sbin/kamailio") ? "/usr/sbin/kamailio" : "kamailio";
        var arguments = new List<string> { "-f", config, "-DD", "-E", "-P", Path.Combine(folder, "kamailio.pid"), "-w", folder, "-m", "64", "-M", "8" };
        foreach (var define in defines)
            arguments.AddRange(["-A", define]);
        var info = new ProcessStartInfo(binary, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        var process = Process.Start(info)!;
        var logPath = Path.Combine(folder, "kamailio.log");
        var log = new LogFile(logPath);
        process.OutputDataReceived += (_, e) => log.Write(e.Data);
        process.ErrorDataReceived += (_, e) => log.Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var kamailio = new KamailioProcess(process, log, logPath, port);
        await kamailio.UntilAnswersAsync();
        return kamailio;
    }

    /// <summary>Its log so far (read while it still writes it).</summary>
    public IReadOnlyList<string> LogLines()
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n');
    }

    public string LastLines(int count = 30) => string.Join("\n", LogLines().TakeLast(count));

    private async Task UntilAnswersAsync()
    {
        using var peer = new SipUdpPeer(Port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            await peer.SendAsync(SipText.Request("OPTIONS", "sip:127.0.0.1", peer.Port));
            if (await peer.ReceiveAsync(TimeSpan.FromSeconds(1)) is not null)
                return;
        }

        throw new Xunit.Sdk.XunitException($"Kamailio on port {Port} does not answer:\n{LastLines()}");
    }

    public void Dispose()
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

        _process.Dispose();
        _log.Close();
    }

    /// <summary>Lines written until it is closed; the process's last lines may come after that, and are dropped.</summary>
    private sealed class LogFile(string path)
    {
        private readonly StreamWriter _writer = new(path) { AutoFlush = true };
        private bool _closed;

        public void Write(string? line)
        {
            lock (_writer)
                if (line is not null && !_closed)
                    _writer.WriteLine(line);
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
