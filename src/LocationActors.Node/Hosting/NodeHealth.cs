using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LocationActors.Node.Hosting;

/// <summary>
/// The node's health as a supervisor (systemd, Kubernetes) and a load balancer ask it: <c>/health/live</c> says the
/// process should keep running, <c>/health/ready</c> that it is a working member of the location cluster.
/// </summary>
public static class NodeHealth
{
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    /// <summary>Live while the actor system runs; once it has terminated (downed, shut down) the process is to be restarted.</summary>
    public sealed class Live(ActorSystem system) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(system.WhenTerminated.IsCompleted
                ? HealthCheckResult.Unhealthy("the actor system has terminated")
                : HealthCheckResult.Healthy());
    }

    /// <summary>Ready when this node is an Up member of the cluster that no other member sees as unreachable.</summary>
    public sealed class Ready(ActorSystem system) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            var self = cluster.SelfMember;
            if (self.Status != MemberStatus.Up)
                return Task.FromResult(HealthCheckResult.Unhealthy($"cluster member status {self.Status}"));
            if (cluster.State.Unreachable.Any(m => m.UniqueAddress.Equals(self.UniqueAddress)))
                return Task.FromResult(HealthCheckResult.Unhealthy("other members see this node as unreachable"));
            return Task.FromResult(HealthCheckResult.Healthy($"Up, {cluster.State.Members.Count(m => m.Status == MemberStatus.Up)} members up"));
        }
    }
}
