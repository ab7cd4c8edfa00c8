using System.CommandLine;
using LocationActors.Bench;

var contactPoints = new Option<string>("--contact-points") { Description = "cluster nodes, comma-separated", DefaultValueFactory = _ => "akka.tcp://location@127.0.0.1:4053" };
var users = new Option<int>("--users") { Description = "AORs registered first, then looked up at random", DefaultValueFactory = _ => 2000 };
var seconds = new Option<int>("--seconds") { Description = "duration of each step", DefaultValueFactory = _ => 10 };
var concurrency = new Option<string>("--concurrency") { Description = "requests in flight per step, comma-separated", DefaultValueFactory = _ => "1,16,64" };
var httpUrl = new Option<string?>("--http-url") { Description = "also measure GET /v1/aors/{aor} on this proxy's HTTP API" };

var lookups = new Command("lookups", "lookup throughput and latency from a proxy to the cluster: through the LocationProxy, by a naive Ask per request, and over HTTP")
{
    contactPoints, users, seconds, concurrency, httpUrl,
};
lookups.SetAction(async (result, ct) => await LookupBenchmark.RunAsync(
    result.GetValue(contactPoints)!, result.GetValue(users), TimeSpan.FromSeconds(result.GetValue(seconds)),
    result.GetValue(concurrency)!.Split(',').Select(int.Parse).ToList(), result.GetValue(httpUrl), Console.Out, ct));

return await new RootCommand("LocationActors load drivers") { lookups }.Parse(args).InvokeAsync();
