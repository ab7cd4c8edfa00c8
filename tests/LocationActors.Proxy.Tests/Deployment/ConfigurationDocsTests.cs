using System.Text.RegularExpressions;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using LocationActors.Cluster.Hosting;
using LocationActors.Node.Configuration;
using LocationActors.Proxy.Configuration;
using LocationActors.TestSupport;

namespace LocationActors.Proxy.Tests.Deployment;

/// <summary>
/// docs/configuration.md against the shipped files: every key of hocon/ has its row, with the environment variable
/// that overrides it; and every LA_* name the page gives is one the programs read.
/// </summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed partial class ConfigurationDocsTests
{
    private static readonly string Page = File.ReadAllText(Path.Combine(MariaDbServers.RepositoryRoot, "docs", "configuration.md"));

    // Objects whose own keys are type names, not settings: documented as one row.
    private static readonly HashSet<string> DocumentedWhole = ["akka.actor.serializers", "akka.actor.serialization-bindings"];

    [Theory]
    [InlineData("node.hocon")]
    [InlineData("proxy.hocon")]
    public void Every_key_of_the_shipped_file_has_its_row(string file)
    {
        var config = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(MariaDbServers.RepositoryRoot, "hocon", file)));

        var keys = Leaves(config.Root, "").ToList();

        Assert.Contains("akka.remote.dot-netty.tcp.public-hostname", keys);
        var missing = keys.Where(k => !Page.Contains($"`{k}`", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, $"docs/configuration.md lacks {string.Join(", ", missing)} of {file}");
    }

    [Fact]
    public void Every_variable_is_on_the_row_of_the_key_it_overrides()
    {
        var rows = Page.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).ToList();

        foreach (var (variable, key) in EnvironmentOverrides.Keys.Concat(ProxyConfig.Variables))
            Assert.Contains(rows, row => row.StartsWith($"| `{key}` | `{variable}`", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_variable_the_page_names_is_read_by_a_program()
    {
        HashSet<string> read = [.. EnvironmentOverrides.Keys.Keys, .. ProxyConfig.Variables.Keys, NodeConfig.PathVariable, ProxyConfig.PathVariable,
            ParentWatchdog.Variable, LocationActors.Cli.Http.ProxyOptions.UrlVariable, LocationActors.Cli.Http.ProxyOptions.TokenVariable];

        var unknown = LaName().Matches(Page).Select(m => m.Value).Where(v => !read.Contains(v)).Distinct().ToList();

        Assert.True(unknown.Count == 0, $"docs/configuration.md names {string.Join(", ", unknown)}, which no program reads");
    }

    private static IEnumerable<string> Leaves(HoconValue value, string path)
    {
        if (!value.IsObject() || DocumentedWhole.Contains(path))
        {
            yield return path;
            yield break;
        }

        foreach (var (key, child) in value.GetObject().Items)
            foreach (var leaf in Leaves(child, path.Length == 0 ? key : $"{path}.{key}"))
                yield return leaf;
    }

    [GeneratedRegex(@"\bLA_[A-Z0-9_]+")]
    private static partial Regex LaName();
}
