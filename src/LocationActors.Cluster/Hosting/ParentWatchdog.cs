using System.Diagnostics;
using Akka.Actor;

namespace LocationActors.Cluster.Hosting;

/// <summary>
/// With <c>LA_EXIT_WITH_PARENT=pid</c> a process stops when that process is gone: test harnesses and the local
/// launcher set it, so that nodes and proxies never outlive a crashed run.
/// </summary>
public static class ParentWatchdog
{
    public const string Variable = "LA_EXIT_WITH_PARENT";

    public static void Start(ActorSystem system, string program, TextWriter error)
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable(Variable), out var parent))
            return;
        _ = Task.Run(async () =>
        {
            while (!system.WhenTerminated.IsCompleted)
            {
                await Task.Delay(1000);
                try
                {
                    using var process = Process.GetProcessById(parent);
                    if (!process.HasExited)
                        continue;
                }
                catch (ArgumentException)
                {
                    // no such process any more
                }

                await error.WriteLineAsync($"{program}: parent process {parent} is gone; stopping");
                Environment.Exit(3);
            }
        });
    }
}
