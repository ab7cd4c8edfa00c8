using Akka.Configuration;

namespace LocationActors.Cluster.Hosting;

/// <summary>Reads checked values from a section; a bad one stops the program with the key's full path in the message.</summary>
public static class ConfigValues
{
    public static TimeSpan Positive(Config? section, string path, string key, TimeSpan fallback)
    {
        var value = section?.GetTimeSpan(key, fallback) ?? fallback;
        return value > TimeSpan.Zero ? value : throw new ConfigurationException($"{path}.{key} must be positive, got {value}");
    }

    /// <summary>A percentage (0 to 100).</summary>
    public static int Percent(Config? section, string path, string key, int fallback)
    {
        var value = section?.GetInt(key, fallback) ?? fallback;
        return value is >= 0 and <= 100 ? value : throw new ConfigurationException($"{path}.{key} must be a percentage (0 to 100), got {value}");
    }

    public static int AtLeast(Config? section, string path, string key, int fallback, int minimum)
    {
        var value = section?.GetInt(key, fallback) ?? fallback;
        return value >= minimum ? value : throw new ConfigurationException($"{path}.{key} must be at least {minimum}, got {value}");
    }
}
