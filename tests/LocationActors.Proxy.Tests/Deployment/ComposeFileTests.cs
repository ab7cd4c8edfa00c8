using System.Diagnostics;
using System.Text.RegularExpressions;
using LocationActors.Cluster.Hosting;
using LocationActors.Node.Configuration;
using LocationActors.Proxy.Configuration;
using LocationActors.TestSupport;
using YamlDotNet.RepresentationModel;

namespace LocationActors.Proxy.Tests.Deployment;

/// <summary>
/// docker-compose.yml, .env.example and the Dockerfiles, checked without a Docker engine: <c>docker-compose config</c>
/// validates and resolves the file (the Debian package docker-compose), and every LA_* variable they use is one the
/// programs read — their override tables are the source of truth (the hocon files' comments are checked against the
/// tables by <c>LocationSettingsTests</c> and <c>ProxySettingsTests</c>).
/// </summary>
[Trait(Tier.Name, Tier.Process)]
public sealed partial class ComposeFileTests : IDisposable
{
    private static readonly string Root = MariaDbServers.RepositoryRoot;

    private static readonly HashSet<string> NodeReads = [.. EnvironmentOverrides.Keys.Keys, NodeConfig.PathVariable, ParentWatchdog.Variable];
    private static readonly HashSet<string> ProxyReads = [.. ProxyConfig.Variables.Keys, ProxyConfig.PathVariable, ParentWatchdog.Variable];

    private readonly string _folder = Directory.CreateTempSubdirectory("la-compose-").FullName;

    [Fact]
    public async Task The_file_validates_with_the_secrets_of_an_env_file()
    {
        var (code, output, error) = await ComposeConfigAsync(TestEnvFile());

        Assert.True(code == 0, error);
        var services = Services(output);
        Assert.Equal(["db-a", "db-b", "db-master", "node1", "node2", "node3", "proxy"], services.Keys.Order());
        // The secrets reach the programs through interpolation only.
        Assert.Equal("mysql://locationactors:test-MARIADB_PASSWORD@db-master:3306/kamailio", Environment(services["node1"])["LA_MASTER_DB_URL"]);
        Assert.Equal("test-LA_ADMIN_TOKEN", Environment(services["proxy"])["LA_ADMIN_TOKEN"]);
    }

    [Fact]
    public async Task Without_the_secrets_it_refuses_naming_the_missing_one()
    {
        var empty = Path.Combine(_folder, "empty.env");
        await File.WriteAllTextAsync(empty, "");

        var (code, _, error) = await ComposeConfigAsync(empty);

        Assert.NotEqual(0, code);
        Assert.Matches("set (MARIADB_PASSWORD|MARIADB_ROOT_PASSWORD|LA_ADMIN_TOKEN) in .env", error);
    }

    [Fact]
    public async Task Every_LA_variable_a_service_sets_is_read_by_its_program()
    {
        var services = Services(await ValidConfigAsync());

        var programs = 0;
        foreach (var (name, service) in services)
        {
            var reads = Dockerfile(service) switch
            {
                "docker/node.Dockerfile" => NodeReads,
                "docker/proxy.Dockerfile" => ProxyReads,
                null => [], // the MariaDB containers: no program of ours reads their environment
                var other => throw new Xunit.Sdk.XunitException($"{name}: unknown Dockerfile {other}"),
            };
            programs += reads.Count > 0 ? 1 : 0;
            var unread = Environment(service).Keys.Where(v => v.StartsWith("LA_", StringComparison.Ordinal) && !reads.Contains(v)).ToList();
            Assert.True(unread.Count == 0, $"{name} sets {string.Join(", ", unread)}, which its program does not read");
        }

        Assert.Equal(4, programs); // 3 nodes and the proxy
    }

    [Fact]
    public void Every_LA_name_in_the_deployment_files_is_one_a_program_reads()
    {
        var files = new[] { "docker-compose.yml", ".env.example" }.Concat(Directory.GetFiles(Path.Combine(Root, "docker"), "*.Dockerfile")
            .Select(f => Path.GetRelativePath(Root, f))).ToList();
        Assert.Contains("docker/node.Dockerfile", files);
        Assert.Contains("docker/proxy.Dockerfile", files);

        foreach (var file in files)
        {
            var unknown = LaName().Matches(File.ReadAllText(Path.Combine(Root, file))).Select(m => m.Value)
                .Where(v => !NodeReads.Contains(v) && !ProxyReads.Contains(v)).Distinct().ToList();
            Assert.True(unknown.Count == 0, $"{file} names {string.Join(", ", unknown)}, which no program reads");
        }
    }

    [Fact]
    public void The_env_example_holds_exactly_the_variables_the_compose_file_interpolates()
    {
        var compose = File.ReadAllText(Path.Combine(Root, "docker-compose.yml"));

        Assert.Equal(Interpolated().Matches(compose).Select(m => m.Groups[1].Value).ToHashSet().Order(), EnvExampleNames().Order());
        // No secret is written into the file itself: every password or token, alone or in a URL, is an interpolation.
        var secrets = SecretValue().Matches(compose).Select(m => m.Groups[2].Value)
            .Concat(UrlPassword().Matches(compose).Select(m => m.Groups[1].Value)).ToList();
        Assert.NotEmpty(secrets);
        Assert.All(secrets, value => Assert.StartsWith("${", value));
    }

    [Fact]
    public async Task Published_ports_are_on_the_hosts_loopback_only()
    {
        var services = Services(await ValidConfigAsync());

        var published = services.Values.Where(s => s.Children.ContainsKey("ports"))
            .SelectMany(s => ((YamlSequenceNode)s["ports"]).Select(p => p.ToString())).ToList();
        Assert.NotEmpty(published);
        Assert.All(published, p => Assert.StartsWith("127.0.0.1:", p));
        Assert.DoesNotContain(services.Where(s => s.Key.StartsWith("node", StringComparison.Ordinal)), s => s.Value.Children.ContainsKey("ports"));
    }

    [Fact]
    public async Task Programs_in_containers_bind_every_interface_and_are_known_by_their_service_name()
    {
        var services = Services(await ValidConfigAsync());
        var nodes = services.Where(s => Dockerfile(s.Value) == "docker/node.Dockerfile").ToList();
        var seeds = string.Join(",", nodes.Select(n => $"akka.tcp://location@{n.Key}:{Environment(n.Value)["LA_NODE_PORT"]}"));

        foreach (var (name, node) in nodes)
        {
            var env = Environment(node);
            Assert.Equal(("0.0.0.0", name, name), (env["LA_NODE_HOST"], env["LA_NODE_PUBLIC_HOST"], node["hostname"].ToString()));
            Assert.Equal(seeds, env["LA_SEED_NODES"]);
            Assert.StartsWith("mysql://", env["LA_MASTER_DB_URL"]);
        }

        var proxy = Environment(services["proxy"]);
        Assert.Equal(seeds, proxy["LA_CONTACT_POINTS"]);
        Assert.Equal(("0.0.0.0", "proxy"), (proxy["LA_PROXY_HOST"], proxy["LA_PROXY_PUBLIC_HOST"]));
        Assert.Equal(("0.0.0.0:8080", "0.0.0.0:5060"), (proxy["LA_HTTP_ENDPOINT"], proxy["LA_SIP_ENDPOINT"]));
        Assert.Equal(["127.0.0.1:8080:8080/tcp", "127.0.0.1:5060:5060/udp", "127.0.0.1:5060:5060/tcp"],
            ((YamlSequenceNode)services["proxy"]["ports"]).Select(p => p.ToString()));
        Assert.All(services.Values, s => Assert.True(s.Children.ContainsKey("healthcheck"), "every service has a health check"));
    }

    [Theory]
    [InlineData("docker/node.Dockerfile", "mcr.microsoft.com/dotnet/aspnet:10.0")] // its /metrics and /health are on Kestrel
    [InlineData("docker/proxy.Dockerfile", "mcr.microsoft.com/dotnet/aspnet:10.0")]
    public void Images_build_with_the_sdk_and_run_as_the_unprivileged_user(string dockerfile, string runtime)
    {
        var lines = File.ReadAllLines(Path.Combine(Root, dockerfile)).Select(l => l.Trim()).ToList();
        var stages = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();

        Assert.Equal(["FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", $"FROM {runtime}"], stages);
        var final = lines.IndexOf(stages[^1]);
        Assert.Contains("USER $APP_UID", lines.Skip(final));
        Assert.Contains(lines.Skip(final), l => l.StartsWith("COPY --from=build ", StringComparison.Ordinal));
    }

    private async Task<string> ValidConfigAsync()
    {
        var (code, output, error) = await ComposeConfigAsync(TestEnvFile());
        Assert.True(code == 0, error);
        return output;
    }

    /// <summary>An env file with a test value for every variable of .env.example.</summary>
    private string TestEnvFile()
    {
        var path = Path.Combine(_folder, "test.env");
        File.WriteAllLines(path, EnvExampleNames().Select(n => $"{n}=test-{n}"));
        return path;
    }

    private static HashSet<string> EnvExampleNames() =>
        File.ReadAllLines(Path.Combine(Root, ".env.example")).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split('=')[0]).ToHashSet();

    /// <summary>
    /// <c>docker-compose -f docker-compose.yml --env-file FILE config</c> in the repository root. Compose prefers the
    /// caller's environment to the env file, so variables that could stand in for the file's are removed.
    /// </summary>
    private static async Task<(int Code, string Output, string Error)> ComposeConfigAsync(string envFile)
    {
        const string compose = "/usr/bin/docker-compose";
        Assert.True(File.Exists(compose), "docker-compose is not installed (apt-get install docker-compose)");
        var info = new ProcessStartInfo(compose, ["-f", "docker-compose.yml", "--env-file", envFile, "config"])
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("LA_", StringComparison.Ordinal) || k.StartsWith("MARIADB_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(name);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await output, await error);
    }

    private static Dictionary<string, YamlMappingNode> Services(string config)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(config));
        var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
        return services.Children.ToDictionary(s => s.Key.ToString(), s => (YamlMappingNode)s.Value);
    }

    private static Dictionary<string, string> Environment(YamlMappingNode service) =>
        service.Children.TryGetValue("environment", out var env)
            ? ((YamlMappingNode)env).Children.ToDictionary(e => e.Key.ToString(), e => e.Value.ToString())
            : [];

    private static string? Dockerfile(YamlMappingNode service) =>
        service.Children.TryGetValue("build", out var build) ? ((YamlMappingNode)build)["dockerfile"].ToString() : null;

    [GeneratedRegex(@"\bLA_[A-Z0-9_]+")]
    private static partial Regex LaName();

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex Interpolated();

    [GeneratedRegex(@"^\s*([A-Z_]*(?:PASSWORD|TOKEN)):\s*(\S.*)$", RegexOptions.Multiline)]
    private static partial Regex SecretValue();

    [GeneratedRegex(@"://[^:/@\s]+:([^@\s]+)@")]
    private static partial Regex UrlPassword();

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
