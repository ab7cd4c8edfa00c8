using System.Runtime.InteropServices;

namespace LocationActors.Cluster.Hosting;

/// <summary>
/// SIGTERM (a supervisor, a rolling restart) and Ctrl-C ask a program to stop in order — a node leaves the cluster
/// so its groups hand over, a proxy answers what it has in hand — instead of the runtime ending the process at once.
/// </summary>
public static class StopSignals
{
    /// <summary>Calls <paramref name="requestStop"/> on SIGTERM, SIGINT or SIGQUIT, until disposed.</summary>
    public static IDisposable Register(Action requestStop)
    {
        var registrations = new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT }
            .Select(signal => PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                requestStop();
            }))
            .ToList();
        return new Registrations(registrations);
    }

    private sealed class Registrations(List<PosixSignalRegistration> registrations) : IDisposable
    {
        public void Dispose() => registrations.ForEach(r => r.Dispose());
    }
}
