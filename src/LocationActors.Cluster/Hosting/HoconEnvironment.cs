using Akka.Configuration;

namespace LocationActors.Cluster.Hosting;

/// <summary>
/// Environment variables that override HOCON keys (containers and CI configure processes this way). Akka.NET's
/// HOCON parser does not read the environment in <c>${?VAR}</c> substitutions, so each program keeps an explicit
/// table — the list of every variable it reads — and each key's comment in its file names the variable.
/// </summary>
public static class HoconEnvironment
{
    /// <summary>
    /// Loads a program's HOCON file — <paramref name="path"/>, or the file the environment variable
    /// <paramref name="pathVariable"/> names, or the shipped <paramref name="defaultPath"/> — and applies the overrides.
    /// </summary>
    /// <exception cref="ConfigurationException">The file is missing or does not parse; the message names the file.</exception>
    public static Config Load(string? path, string pathVariable, string defaultPath, IReadOnlyDictionary<string, string> keys,
        IReadOnlySet<string> listKeys, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        path ??= environment(pathVariable) is { Length: > 0 } fromEnv ? fromEnv : defaultPath;
        if (!File.Exists(path))
            throw new ConfigurationException($"configuration file {path} not found (set {pathVariable} or --config)");
        try
        {
            return Apply(ConfigurationFactory.ParseString(File.ReadAllText(path)), keys, listKeys, environment);
        }
        catch (Exception e) when (e is not ConfigurationException)
        {
            throw new ConfigurationException($"{path}: {e.Message}");
        }
    }

    /// <summary>The config with every set variable's value in place of its key's.</summary>
    /// <param name="keys">Variable → HOCON path.</param>
    /// <param name="listKeys">Paths whose value is a list, given comma-separated in the environment.</param>
    /// <param name="environment">Where variables are read (the process environment unless a test gives its own).</param>
    public static Config Apply(Config config, IReadOnlyDictionary<string, string> keys, IReadOnlySet<string> listKeys,
        Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var root = new Dictionary<string, object>();
        foreach (var (variable, path) in keys)
        {
            if (environment(variable) is not { } value)
                continue;
            var segments = path.Split('.');
            var node = root;
            foreach (var segment in segments[..^1])
            {
                if (!node.TryGetValue(segment, out var child))
                    node[segment] = child = new Dictionary<string, object>();
                node = (Dictionary<string, object>)child;
            }

            node[segments[^1]] = listKeys.Contains(path)
                ? value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : value;
        }

        // FromObject quotes the values itself, so a value can never change the config's structure.
        return root.Count == 0 ? config : ConfigurationFactory.FromObject(root).WithFallback(config);
    }
}
