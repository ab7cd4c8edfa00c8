using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LocationActors.TestSupport;

/// <summary>A bare SIP peer on UDP for tests: sends exactly the bytes given and reads what comes back.</summary>
public sealed class SipUdpPeer : IDisposable
{
    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly IPEndPoint _server;

    public SipUdpPeer(int serverPort)
    {
        _server = new IPEndPoint(IPAddress.Loopback, serverPort);
        _udp.Client.ReceiveBufferSize = 1024 * 1024; // a burst of answers waits in the kernel (up to its limit), not on the floor
    }

    public int Port => ((IPEndPoint)_udp.Client.LocalEndPoint!).Port;

    public Task SendAsync(string message) => _udp.SendAsync(Encoding.UTF8.GetBytes(message), _server).AsTask();

    public Task SendAsync(byte[] message) => _udp.SendAsync(message, _server).AsTask();

    /// <summary>The next datagram as text, or null when none comes within <paramref name="timeout"/>.</summary>
    public async Task<string?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            var received = await _udp.ReceiveAsync(cancel.Token);
            return Encoding.UTF8.GetString(received.Buffer);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Sends a request and returns the first final answer (1xx are skipped).</summary>
    public async Task<string> AskAsync(string message)
    {
        await SendAsync(message);
        while (true)
        {
            var answer = await ReceiveAsync() ?? throw new Xunit.Sdk.XunitException("no SIP answer within 10 s to:\n" + message);
            if (!answer.StartsWith("SIP/2.0 1", StringComparison.Ordinal))
                return answer;
        }
    }

    public void Dispose() => _udp.Dispose();
}

/// <summary>SIP messages as the tests write them: CRLF line ends, a fresh branch per transaction.</summary>
public static class SipText
{
    public static string Branch() => "z9hG4bK" + Guid.NewGuid().ToString("N")[..16];

    public static string Register(int peerPort, string user, string callId, int cseq, string contactHeader, string? extra = null, string? branch = null) =>
        Message($"REGISTER sip:127.0.0.1 SIP/2.0", peerPort, branch, $"<sip:{user}@example.com>;tag=t{cseq}", $"<sip:{user}@example.com>", callId,
            $"{cseq} REGISTER", contactHeader is "" ? extra : $"Contact: {contactHeader}\r\n{extra}");

    public static string Request(string method, string uri, int peerPort, string? extra = null, string? branch = null, string? callId = null) =>
        Message($"{method} {uri} SIP/2.0", peerPort, branch, "<sip:caller@example.com>;tag=c1", $"<{uri}>", callId ?? "call-" + Guid.NewGuid().ToString("N")[..8],
            $"1 {method}", extra);

    private static string Message(string startLine, int peerPort, string? branch, string from, string to, string callId, string cseq, string? extra) =>
        $"{startLine}\r\nVia: SIP/2.0/UDP 127.0.0.1:{peerPort};branch={branch ?? Branch()};rport\r\nFrom: {from}\r\nTo: {to}\r\nCall-ID: {callId}\r\n" +
        $"CSeq: {cseq}\r\nMax-Forwards: 70\r\n{extra}Content-Length: 0\r\n\r\n";

    public static int Status(string response) => int.Parse(response.AsSpan(8, 3), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Every value of a header in a response (one per line, as the server writes them).</summary>
    public static IReadOnlyList<string> Headers(string response, string name) =>
        response.Split("\r\n").Where(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)).Select(l => l[(name.Length + 1)..].Trim()).ToList();
}

/// <summary>The real <c>sipp</c> (Debian package sip-tester), run to completion with a scenario of <c>bench/sipp</c>.</summary>
public static class Sipp
{
    public static string Scenario(string name) => Path.Combine(MariaDbServers.RepositoryRoot, "bench", "sipp", name);

    /// <summary>Writes an injection file of users <paramref name="prefix"/>0000001.. and returns its path.</summary>
    public static string Users(string folder, string prefix, int count)
    {
        var path = Path.Combine(folder, $"{prefix}-{count}.csv");
        File.WriteAllLines(path, Enumerable.Range(1, count).Select(i => $"{prefix}{i:D7};").Prepend("SEQUENTIAL"));
        return path;
    }

    /// <summary>Runs <paramref name="scenario"/> for every user of <paramref name="users"/>; the exit code is 0 when every call succeeded.</summary>
    /// <param name="localPort">sipp's own port (its contacts carry it): the one of an earlier run to update or remove those contacts.</param>
    public static async Task<(int ExitCode, string Errors, int LocalPort)> RunAsync(string scenario, string users, int calls, int rate, int serverPort, string folder,
        int? localPort = null)
    {
        localPort ??= NodeProcesses.FreePort();
        var errors = Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(scenario)}-{localPort}-errors.log");
        var info = new ProcessStartInfo("sipp",
        [
            $"127.0.0.1:{serverPort}", "-sf", Scenario(scenario), "-inf", users, "-m", calls.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-r", rate.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", "127.0.0.1",
            "-p", localPort.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", "u1", "-nostdin", "-timeout", "120s",
            "-trace_err", "-error_file", errors,
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"sipp {scenario} did not finish within 150 s");
        }

        await stdout;
        var errorText = (File.Exists(errors) ? string.Join("\n", File.ReadLines(errors).Take(40)) : "") + await stderr;
        return (process.ExitCode, errorText, localPort.Value);
    }

    /// <summary>
    /// Starts a server-side scenario (e.g. <c>phone.xml</c>: phones that answer) on <paramref name="localPort"/> in the
    /// background, ending after <paramref name="calls"/> calls; <see cref="Running.WaitAsync"/> gives its exit code.
    /// </summary>
    public static Running Start(string scenario, int calls, int localPort, string folder)
    {
        var errors = Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(scenario)}-{localPort}-errors.log");
        var info = new ProcessStartInfo("sipp",
        [
            "-sf", Scenario(scenario), "-m", calls.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", "127.0.0.1",
            "-p", localPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", "u1", "-nostdin", "-timeout", "120s",
            "-trace_err", "-error_file", errors,
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        var process = Process.Start(info)!;
        return new Running(process, process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync(), errors);
    }

    /// <summary>A sipp run in the background; killed by PID when disposed.</summary>
    public sealed class Running(Process process, Task<string> stdout, Task<string> stderr, string errors) : IDisposable
    {
        public async Task<(int ExitCode, string Errors)> WaitAsync(TimeSpan within)
        {
            using var cancel = new CancellationTokenSource(within);
            try
            {
                await process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                return (-1, $"sipp did not finish within {within.TotalSeconds} s");
            }

            await stdout;
            return (process.ExitCode, (File.Exists(errors) ? string.Join("\n", File.ReadLines(errors).Take(40)) : "") + await stderr);
        }

        public void Dispose()
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            process.Dispose();
        }
    }
}
