using System.Text.RegularExpressions;
using Akka.Configuration;
using LocationActors.Node.Configuration;
using LocationActors.Proxy.Configuration;
using LocationActors.TestSupport;

namespace LocationActors.Proxy.Tests.Deployment;

/// <summary>
/// Every HOCON key the code reads is in the shipped files of <c>hocon/</c>, so the files (and docs/configuration.md,
/// written from them) document every setting. The settings readers fall back to a default for a missing key, so
/// without this test a key renamed in code, or one added without its line in the file, would go unnoticed.
/// </summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed partial class HoconKeysInCodeTests
{
    private static string Shipped(string file) => Path.Combine(MariaDbServers.RepositoryRoot, "hocon", file);

    private static Config Parse(string file) => ConfigurationFactory.ParseString(File.ReadAllText(Shipped(file)));

    [Fact]
    public void Every_key_the_node_reads_is_in_node_hocon()
    {
        var shipped = Parse("node.hocon");

        var read = KeysRead(shipped, config => NodeSettings.FromConfig(config));

        Assert.Contains("location.groups.shared-databases", read);
        Assert.Contains("location.storage.command-timeout", read);
        AssertShipped(read.Where(key => !shipped.HasPath(key)), "node.hocon");
    }

    [Fact]
    public void Every_key_the_proxy_reads_is_in_proxy_hocon()
    {
        var shipped = Parse("proxy.hocon");

        var read = KeysRead(shipped, config => ProxySettings.FromConfig(config));

        Assert.Contains("proxy.sip.retry-after", read);
        Assert.Contains("proxy.cluster.contact-points", read);
        AssertShipped(read.Where(key => !shipped.HasPath(key)), "proxy.hocon");
    }

    [Fact]
    public void A_key_missing_from_the_file_is_found()
    {
        var text = File.ReadAllText(Shipped("node.hocon"));
        var without = ConfigurationFactory.ParseString(Regex.Replace(text, @"^\s*stash-limit = .*$", "", RegexOptions.Multiline));

        var read = KeysRead(without, config => NodeSettings.FromConfig(config));

        Assert.Equal(["location.groups.stash-limit"], read.Where(key => !without.HasPath(key)));
    }

    [Fact]
    public void Every_full_key_named_in_the_sources_is_in_the_shipped_files()
    {
        // Keys written out whole ("proxy.registrar.min-expires", "location.groups") anywhere under src/, also in code the
        // readers above do not run.
        var node = Parse("node.hocon");
        var proxy = Parse("proxy.hocon");
        var sources = Directory.GetFiles(Path.Combine(MariaDbServers.RepositoryRoot, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

        var keys = sources.SelectMany(f => FullKey().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Key: m.Groups[1].Value)))
            .Where(k => !k.Key.EndsWith(".hocon", StringComparison.Ordinal)) // the files' own names
            .ToList();

        Assert.Contains(keys, k => k.Key == "proxy.registrar.min-expires");
        Assert.Contains(keys, k => k.Key == "location.groups");
        AssertShipped(keys.Where(k => !(k.Key.StartsWith("location.", StringComparison.Ordinal) ? node : proxy).HasPath(k.Key))
            .Select(k => $"{k.Key} (in {k.File})"), "hocon/");
    }

    private static void AssertShipped(IEnumerable<string> missing, string file)
    {
        var list = missing.ToList();
        Assert.True(list.Count == 0, $"read in code, missing from {file}: {string.Join(", ", list)}");
    }

    /// <summary>Runs <paramref name="reader"/> on <paramref name="shipped"/> and returns the full path of every key it asked for.</summary>
    private static SortedSet<string> KeysRead(Config shipped, Action<Config> reader)
    {
        var read = new SortedSet<string>(StringComparer.Ordinal);
        reader(new RecordingConfig(shipped, "", read));
        Assert.NotEmpty(read);
        return read;
    }

    [GeneratedRegex("\"((?:location|proxy)(?:\\.[a-z0-9-]+)+)\"")]
    private static partial Regex FullKey();

    /// <summary>
    /// A config that notes the full path of every key read through it, sections included; sections it hands out note
    /// their keys too.
    /// </summary>
    private sealed class RecordingConfig(Config source, string prefix, ISet<string> read) : Config(new Akka.Configuration.Hocon.HoconRoot(source.Root))
    {
        private string Note(string path)
        {
            read.Add(prefix + path);
            return path;
        }

        public override Config GetConfig(string path) =>
            base.GetConfig(Note(path)) is { } section ? new RecordingConfig(section, $"{prefix}{path}.", read) : null!;

        public override string GetString(string path, string @default = null!) => base.GetString(Note(path), @default);

        public override bool GetBoolean(string path, bool @default = false) => base.GetBoolean(Note(path), @default);

        public override int GetInt(string path, int @default = 0) => base.GetInt(Note(path), @default);

        public override long GetLong(string path, long @default = 0) => base.GetLong(Note(path), @default);

        public override double GetDouble(string path, double @default = 0) => base.GetDouble(Note(path), @default);

        public override TimeSpan GetTimeSpan(string path, TimeSpan? @default = null, bool allowInfinite = true) =>
            base.GetTimeSpan(Note(path), @default, allowInfinite);

        public override IList<string> GetStringList(string path) => base.GetStringList(Note(path));

        public override IList<string> GetStringList(string path, string[] defaultPaths) => base.GetStringList(Note(path), defaultPaths);

        public override long? GetByteSize(string path) => base.GetByteSize(Note(path));
    }
}
