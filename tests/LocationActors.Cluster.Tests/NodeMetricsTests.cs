using LocationActors.Cluster.Metrics;
using LocationActors.TestSupport;
using Prometheus;

namespace LocationActors.Cluster.Tests;

/// <summary>What the node's metrics publish, read in Prometheus' text format as a scrape reads it.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class NodeMetricsTests
{
    private static async Task<string[]> ScrapeAsync()
    {
        using var text = new MemoryStream();
        await Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(text);
        return System.Text.Encoding.UTF8.GetString(text.ToArray()).Split('\n');
    }

    [Fact]
    public async Task A_batch_is_reported_per_group_and_member()
    {
        NodeMetrics.Batch("location/7", 2, rows: 40, TimeSpan.FromMilliseconds(5));

        var lines = await ScrapeAsync();
        Assert.Contains("location_node_member_batch_seconds_count{group=\"location/7\",member=\"2\"} 1", lines);
        Assert.Contains("location_node_member_rows_written_total{group=\"location/7\",member=\"2\"} 40", lines);
    }

    [Fact]
    public async Task A_group_reports_its_size_until_it_stops_on_this_node()
    {
        NodeMetrics.GroupSize("location/8", contacts: 12, aors: 10, stashed: 3);
        var hosted = await ScrapeAsync();
        Assert.Contains("location_node_group_contacts{group=\"location/8\"} 12", hosted);
        Assert.Contains("location_node_group_stashed{group=\"location/8\"} 3", hosted);

        NodeMetrics.GroupStopped("location/8");
        Assert.DoesNotContain(await ScrapeAsync(), line => line.Contains("group=\"location/8\""));
    }

    [Fact]
    public async Task The_gc_pause_time_is_read_at_every_scrape()
    {
        NodeMetrics.MemberError("location/9", 1); // any use starts the node's metrics
        GC.Collect();

        Assert.Contains(await ScrapeAsync(), line => line.StartsWith("location_node_gc_pause_seconds_total ", StringComparison.Ordinal) &&
            double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) > 0);
    }
}
