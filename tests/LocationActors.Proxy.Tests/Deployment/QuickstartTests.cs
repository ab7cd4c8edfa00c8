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
    public async Task The_first_command_gives_a_deployment_that_registers_over_SIP_and_answers_locctl_lookup()
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(MariaDbServers.RepositoryRoot, "scripts", "quickstart-check.sh")])
        {
            WorkingDirectory = MariaDbServers.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Only what this test sets: a variable of the caller's (a master URL, a config file) must not change the run.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("LA_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(name);
        var nodePorts = Enumerable.Range(0, 3).Select(_ => NodeProcesses.FreePort()).ToList();
        info.Environment["LA_DATA_DIR"] = _data;
        info.Environment["LA_LOCAL_NODE_PORTS"] = string.Join(' ', nodePorts);
        info.Environment["LA_HTTP_ENDPOINT"] = $"127.0.0.1:{NodeProcesses.FreePort()}";
        info.Environment["LA_SIP_ENDPOINT"] = $"127.0.0.1:{NodeProcesses.FreePort()}";
        // About 20 s on an idle 2-core machine; the margin is for a machine shared with other builds and test runs.
        info.Environment["LA_QUICKSTART_TIMEOUT"] = "300";

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

        var text = await stdout + await stderr;
        output.WriteLine(text);
        Assert.True(process.ExitCode == 0, text);
        Assert.Contains("quickstart-check: OK", text);
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
        Assert.Contains("\nscripts/run-local.sh >", check);
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
