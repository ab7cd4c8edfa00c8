using System.CommandLine;
using Akka.Configuration;
using LocationActors.Cluster.Hosting;
using LocationActors.Proxy.Configuration;

namespace LocationActors.Proxy;

/// <summary>The proxy's command line. Exit codes: 0 stopped normally, 2 configuration unusable (or the port taken).</summary>
public static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var configOption = new Option<string?>("--config", "-c") { Description = $"HOCON file (default: hocon/proxy.hocon next to the binary, or ${ProxyConfig.PathVariable})" };
        var run = new Command("run", "serve the location service (HTTP API) in front of the cluster until stopped (Ctrl-C or SIGTERM)") { configOption };
        run.SetAction((result, _) => RunAsync(result.GetValue(configOption), output, error));
        var root = new RootCommand("LocationActors proxy: the location service's client side, not a cluster member") { run };
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    private static async Task<int> RunAsync(string? configPath, TextWriter output, TextWriter error)
    {
        ProxyHost host;
        ProxySettings settings;
        try
        {
            var config = ProxyConfig.Load(configPath);
            settings = ProxySettings.FromConfig(config);
            host = await ProxyHost.StartAsync(settings, config);
        }
        catch (Exception e) when (e is ConfigurationException or IOException or System.Net.Sockets.SocketException)
        {
            await error.WriteLineAsync($"proxy: {e.Message}");
            return 2;
        }

        ParentWatchdog.Start(host.System, "proxy", error);
        await output.WriteLineAsync($"proxy: HTTP on http://{settings.Http.Endpoint}, SIP on {(host.Sip is { } sip ? $"udp+tcp {sip.Endpoint}" : "(off)")}, cluster contact points {string.Join(", ", settings.Cluster.ContactPoints.Select(p => p.Address))}; Ctrl-C stops it");
        // Ctrl-C and SIGTERM stop the host: HTTP first, then SIP after it answered what it has in hand, then the actor system.
        using var signals = StopSignals.Register(host.RequestStop);
        await Task.WhenAny(host.WaitForShutdownAsync(), host.System.WhenTerminated);
        await host.DisposeAsync();
        await output.WriteLineAsync("proxy: stopped");
        return 0;
    }
}
