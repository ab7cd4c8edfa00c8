using System.Diagnostics;
using System.Text.RegularExpressions;
using LocationActors.TestSupport;

namespace LocationActors.Proxy.Tests.Deployment;

/// <summary>
/// deploy/prometheus/alerts.yml through Prometheus' own checker: <c>promtool check rules</c> (the file loads, every
/// expression parses) and <c>promtool test rules</c> (alerts.test.yml: each alert fires on the series it is for, at the
/// time its <c>for</c> says, and stays quiet on the others).
/// </summary>
[Trait(Tier.Name, Tier.Process)]
public sealed class PrometheusRulesTests
{
    private static readonly string Folder = Path.Combine(MariaDbServers.RepositoryRoot, "deploy", "prometheus");

    [Fact]
    public async Task Promtool_accepts_the_alert_rules()
    {
        var (code, output) = await PromtoolAsync("check", "rules", "alerts.yml");

        Assert.True(code == 0, output);
        Assert.Contains("SUCCESS: 6 rules found", output);
    }

    [Fact]
    public async Task Every_alert_fires_in_promtool_s_unit_tests_as_its_rule_says()
    {
        var (code, output) = await PromtoolAsync("test", "rules", "alerts.test.yml");

        Assert.True(code == 0, output);
        Assert.Contains("SUCCESS", output);
        // Every rule of the file has a test that expects it to fire.
        var rules = await File.ReadAllTextAsync(Path.Combine(Folder, "alerts.yml"));
        var tests = await File.ReadAllTextAsync(Path.Combine(Folder, "alerts.test.yml"));
        var alerts = Regex.Matches(rules, @"- alert: (\w+)").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(6, alerts.Count);
        Assert.All(alerts, alert => Assert.Contains($"alertname: {alert}", tests));
    }

    private static async Task<(int Code, string Output)> PromtoolAsync(params string[] arguments)
    {
        const string promtool = "/usr/bin/promtool";
        Assert.True(File.Exists(promtool), "promtool is not installed (apt-get install prometheus; scripts/test.sh installs it)");
        var info = new ProcessStartInfo(promtool, arguments) { WorkingDirectory = Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await output + await error);
    }
}
