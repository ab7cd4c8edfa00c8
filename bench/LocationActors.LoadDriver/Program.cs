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

var target = new Option<string>("--target") { Description = "SIP server, host:port (UDP)", DefaultValueFactory = _ => "127.0.0.1:5060" };
var scenario = new Option<string>("--scenario") { Description = "invite (302 expected; users registered before) or register (a refresh of the users' contact at --local-port)", DefaultValueFactory = _ => "invite" };
var prefix = new Option<string>("--prefix") { Description = "user names: PREFIX0000001 ... as bench/sipp/users.sh writes them", DefaultValueFactory = _ => "user" };
var usersFile = new Option<string?>("--users-file") { Description = "a sipp injection file (bench/sipp/users.sh): its users instead of --prefix and --users" };
var rate = new Option<int>("--rate") { Description = "requests per second", DefaultValueFactory = _ => 500 };
var count = new Option<int>("--count") { Description = "requests sent", DefaultValueFactory = _ => 5000 };
var localPort = new Option<int>("--local-port") { Description = "this driver's UDP port (0: any free one)", DefaultValueFactory = _ => 0 };
var sipLatency = new Command("sip-latency", "response times of a SIP server at a fixed rate, in microseconds; prints \"sent failed achieved/s p50 p90 p99 p99.9 max\" (ms)")
{
    target, scenario, prefix, users, usersFile, rate, count, localPort,
};
sipLatency.SetAction(async (result, ct) => await SipLatency.RunAsync(
    System.Net.IPEndPoint.Parse(result.GetValue(target)!), result.GetValue(scenario)!,
    SipLatency.Users(result.GetValue(prefix)!, result.GetValue(users), result.GetValue(usersFile)),
    result.GetValue(rate), result.GetValue(count), result.GetValue(localPort), Console.Out, ct));

return await new RootCommand("LocationActors load drivers") { lookups, sipLatency }.Parse(args).InvokeAsync();
