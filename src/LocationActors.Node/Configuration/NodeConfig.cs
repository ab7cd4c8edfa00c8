using Akka.Configuration;
using LocationActors.Cluster.Hosting;

namespace LocationActors.Node.Configuration;

/// <summary>Finds and parses the node's HOCON file; environment variables named in it override its values.</summary>
public static class NodeConfig
{
    /// <summary>Environment variable naming another configuration file.</summary>
    public const string PathVariable = "LA_NODE_CONFIG";

    /// <summary>The shipped file, copied next to the binary.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "hocon", "node.hocon");

    /// <summary>Loads <paramref name="path"/>, or the file the environment names, or the shipped one; then applies overrides.</summary>
    /// <param name="path">An explicit file (<c>--config</c>).</param>
    /// <param name="environment">Where variables are read (the process environment unless a test gives its own).</param>
    /// <exception cref="ConfigurationException">The file is missing or does not parse; the message names the file.</exception>
    public static Config Load(string? path = null, Func<string, string?>? environment = null) =>
        HoconEnvironment.Load(path, PathVariable, DefaultPath, EnvironmentOverrides.Keys, EnvironmentOverrides.ListKeys, environment);
}
