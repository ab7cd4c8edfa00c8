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

var storedPrefix = new Option<string>("--prefix") { Description = "stored users' names: PREFIX000000001 ... (those of --group)", DefaultValueFactory = _ => "49" };
var storedGroup = new Option<int>("--group") { Description = "the group whose users are stored (p_usrloc's hash)", DefaultValueFactory = _ => 1 };
var groupCount = new Option<int>("--groups") { Description = "the number of groups N", DefaultValueFactory = _ => 2 };
var contacts = new Option<int>("--contacts") { Description = "stored users (one contact each)", DefaultValueFactory = _ => 100_000 };
var members = new Option<string[]>("--member") { Description = "a member database URL of the group (repeat)", Required = true, AllowMultipleArgumentsPerToken = true };
var bulkLoad = new Command("bulk-load", "stores users' contacts straight into a group's member databases, before any node reads them")
{
    members, storedPrefix, storedGroup, groupCount, contacts,
};
bulkLoad.SetAction(async (result, ct) => await StoredUsers.LoadAsync(result.GetValue(members)!, result.GetValue(storedPrefix)!, result.GetValue(storedGroup),
    result.GetValue(groupCount), result.GetValue(contacts), Console.Out, ct));

var proxyHttp = new Option<string>("--http") { Description = "the proxy's HTTP API, host:port (GET /v1/cluster)", DefaultValueFactory = _ => "127.0.0.1:8080" };
var pidDir = new Option<string>("--pid-dir") { Description = "the deployment's PID files (node-PORT.pid, proxy.pid; scripts/run-local.sh's data/run)", Required = true };
var lookupRate = new Option<int>("--lookup-rate") { Description = "INVITEs per second, each for a stored user", DefaultValueFactory = _ => 500 };
var registerRate = new Option<int>("--register-rate") { Description = "REGISTERs of new users per second", DefaultValueFactory = _ => 200 };
var duration = new Option<int>("--seconds") { Description = "how long requests are sent", DefaultValueFactory = _ => 150 };
var killAfter = new Option<int>("--kill-after") { Description = "seconds of load before the group's node is SIGKILLed", DefaultValueFactory = _ => 30 };
var tracePath = new Option<string?>("--trace") { Description = "also write every request to this CSV file: sent (s from the start), method, user, final status (0: none), seconds to it" };
var failover = new Command("failover-load", "kills the node hosting a group under SIP load with retransmissions and counts what failed; prints a timeline and a summary line")
{
    target, proxyHttp, pidDir, storedPrefix, storedGroup, groupCount, contacts, lookupRate, registerRate, duration, killAfter, tracePath,
};
failover.SetAction(async (result, ct) =>
{
    var group = result.GetValue(storedGroup);
    var stored = StoredUsers.Of(result.GetValue(storedPrefix)!, group, result.GetValue(groupCount), result.GetValue(contacts)).ToList();
    var settings = new FailoverLoad.Settings(System.Net.IPEndPoint.Parse(result.GetValue(target)!), new Uri($"http://{result.GetValue(proxyHttp)}"),
        result.GetValue(pidDir)!, stored, result.GetValue(lookupRate), result.GetValue(registerRate), TimeSpan.FromSeconds(result.GetValue(duration)),
        TimeSpan.FromSeconds(result.GetValue(killAfter)), group, result.GetValue(tracePath));
    return await FailoverLoad.RunAsync(settings, Console.Out, ct);
});

return await new RootCommand("LocationActors load drivers") { lookups, sipLatency, bulkLoad, failover }.Parse(args).InvokeAsync();
