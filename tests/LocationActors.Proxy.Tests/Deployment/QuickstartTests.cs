using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LocationActors.TestSupport;
using Xunit.Abstractions;

namespace LocationActors.Proxy.Tests.Deployment;

/// <summary>
/// The README's Quick start, as a newcomer follows it: <c>scripts/quickstart-check.sh</c> runs the first command
/// (<c>scripts/run-local.sh</c>), registers with sipsak, looks up with locctl and stops it by PID. Here on free ports
/// and a data folder of its own, so it runs beside other tests and a developer's own local deployment.
/// </summary>
[Trait(Tier.Name, Tier.Process)]
public sealed class QuickstartTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("la-quickstart-").FullName;

    [Fact]
    public Task The_first_command_gives_a_deployment_that_registers_over_SIP_and_answers_locctl_lookup() =>
        QuickstartAsync(new Dictionary<string, string>());

    [Fact]
    public async Task The_same_runs_on_postgresql_with_run_local_postgres()
    {
        // Servers of their own (scripts/postgres.sh) in a folder the server's user can reach, on two free ports in a row.
        var servers = Path.Combine(Path.GetTempPath(), "la-quickstart-pg-" + Guid.NewGuid().ToString("N")[..8]);
        var basePort = FreePortPair();
        var environment = new Dictionary<string, string>
        {
            ["LA_QUICKSTART_ARGS"] = "--postgres", ["LA_PG_DIR"] = servers, ["LA_PG_BASE_PORT"] = basePort.ToString(CultureInfo.InvariantCulture),
        };
        try
        {
            var text = await QuickstartAsync(environment);
            Assert.Contains("started scripts/run-local.sh --postgres", text);
        }
        finally
        {
            await RunAsync("bash", [Path.Combine(MariaDbServers.RepositoryRoot, "scripts", "postgres.sh"), "down", "--purge"], environment);
        }
    }

    /// <summary>Runs scripts/quickstart-check.sh on free ports and a data folder of its own; its output.</summary>
    private async Task<string> QuickstartAsync(IDictionary<string, string> environment)
    {
        var nodePorts = Enumerable.Range(0, 3).Select(_ => NodeProcesses.FreePort()).ToList();
        var settings = new Dictionary<string, string>(environment)
        {
            ["LA_DATA_DIR"] = _data,
            ["LA_LOCAL_NODE_PORTS"] = string.Join(' ', nodePorts),
            ["LA_HTTP_ENDPOINT"] = $"127.0.0.1:{NodeProcesses.FreePort()}",
            ["LA_SIP_ENDPOINT"] = $"127.0.0.1:{NodeProcesses.FreePort()}",
            // About 20 s on an idle 2-core machine; the margin is for a machine shared with other builds and test runs.
            ["LA_QUICKSTART_TIMEOUT"] = "300",
        };
        var (code, text) = await RunAsync("bash", [Path.Combine(MariaDbServers.RepositoryRoot, "scripts", "quickstart-check.sh")], settings);
        output.WriteLine(text);
        Assert.True(code == 0, text);
        Assert.Contains("quickstart-check: OK", text);
        return text;
    }

    /// <summary>
    /// Runs a program in the repository with only the given LA_ variables (one of the caller's, a master URL or a
    /// config file, must not change the run); its exit code and output.
    /// </summary>
    private static async Task<(int Code, string Output)> RunAsync(string program, string[] args, IDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(program, args)
        {
            WorkingDirectory = MariaDbServers.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("LA_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(name);
        foreach (var (name, value) in environment)
            info.Environment[name] = value;

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(400));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>A free port whose next one is free too: scripts/postgres.sh puts instance i on base + i - 1.</summary>
    private static int FreePortPair()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = NodeProcesses.FreePort();
            try
            {
                var next = new TcpListener(IPAddress.Loopback, port + 1);
                next.Start();
                next.Stop();
                return port;
            }
            catch (SocketException) when (attempt < 20)
            {
                // taken; try another
            }
        }
    }

    [Fact]
    public void The_readme_quick_start_is_the_run_command_then_the_test_command_and_the_check_runs_the_first()
    {
        var readme = File.ReadAllText(Path.Combine(MariaDbServers.RepositoryRoot, "README.md"));
        var section = readme[readme.IndexOf("## Quick start", StringComparison.Ordinal)..];
        var block = section[(section.IndexOf("```sh\n", StringComparison.Ordinal) + 6)..];
        block = block[..block.IndexOf("```", StringComparison.Ordinal)];

        Assert.Equal(["scripts/run-local.sh", "scripts/test.sh"], block.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var check = File.ReadAllText(Path.Combine(MariaDbServers.RepositoryRoot, "scripts", "quickstart-check.sh"));
        // The first command as it stands, with no argument unless a test asks for one.
        Assert.Contains("\nscripts/run-local.sh \"${run_args[@]}\" >", check);
        Assert.Contains("read -r -a run_args <<<\"${LA_QUICKSTART_ARGS:-}\"", check);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException e)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"could not remove {_data}: {e.Message}"));
        }
    }
}
