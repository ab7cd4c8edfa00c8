using System.Diagnostics;
using System.Globalization;

namespace LocationActors.Chaos;

/// <summary>
/// The network namespaces of a <c>--netns</c> run, made by <c>scripts/chaos.sh</c>: each node and proxy in one of its
/// own (<c>lachaos-node1..3</c> at 10.231.0.11-13, <c>lachaos-proxy1..2</c> at 10.231.0.21-22) on the bridge
/// <c>lachaos0</c> (10.231.0.1, where MariaDB listens). Partitions are iptables rules inside a namespace, removed
/// when the partition heals (and with the namespaces at the end of the run).
/// </summary>
public sealed class ChaosNetwork(IReadOnlyList<string> nodes, IReadOnlyList<string> proxies)
{
    public const string DatabaseHost = "10.231.0.1";

    /// <summary>The namespace a node or proxy (by its harness name) runs in.</summary>
    public string NamespaceOf(string name) => IndexOf(nodes, name) is >= 0 and var n ? $"lachaos-node{n + 1}" : $"lachaos-proxy{Proxy(name) + 1}";

    /// <summary>Its address on the bridge.</summary>
    public string AddressOf(string name) => IndexOf(nodes, name) is >= 0 and var n
        ? string.Create(CultureInfo.InvariantCulture, $"10.231.0.{11 + n}")
        : string.Create(CultureInfo.InvariantCulture, $"10.231.0.{21 + Proxy(name)}");

    /// <summary>Packets between <paramref name="name"/> and each of <paramref name="peers"/> are dropped, both ways or only outgoing.</summary>
    public Task CutAsync(string name, IEnumerable<string> peers, bool outgoingOnly = false) =>
        IptablesAsync(name, peers.SelectMany(peer => Rules(AddressOf(peer), outgoingOnly)));

    private static IEnumerable<IReadOnlyList<string>> Rules(string peer, bool outgoingOnly)
    {
        yield return ["-A", "OUTPUT", "-d", peer, "-j", "DROP"];
        if (!outgoingOnly)
            yield return ["-A", "INPUT", "-s", peer, "-j", "DROP"];
    }

    /// <summary>The MariaDB server on <paramref name="port"/> is unreachable from <paramref name="name"/> (and only from it).</summary>
    public Task CutDatabaseAsync(string name, int port) =>
        IptablesAsync(name, [["-A", "OUTPUT", "-d", DatabaseHost, "-p", "tcp", "--dport", port.ToString(CultureInfo.InvariantCulture), "-j", "DROP"]]);

    /// <summary>Every rule in <paramref name="name"/>'s namespace removed.</summary>
    public Task HealAsync(string name) => IptablesAsync(name, [["-F", "INPUT"], ["-F", "OUTPUT"]]);

    private int Proxy(string name) => IndexOf(proxies, name) is >= 0 and var p ? p : throw new ArgumentException($"'{name}' is no node or proxy of this run");

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
            if (names[i] == name)
                return i;
        return -1;
    }

    private async Task IptablesAsync(string name, IEnumerable<IReadOnlyList<string>> rules)
    {
        foreach (var rule in rules)
        {
            using var process = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", NamespaceOf(name), "iptables", "-w", .. rule])
            {
                RedirectStandardError = true,
            })!;
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"iptables {string.Join(' ', rule)} in {NamespaceOf(name)} failed: {error.Trim()}");
        }
    }
}
