using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LocationActors.Chaos;

/// <summary>
/// Steady mixed traffic through the proxy's HTTP API: each worker owns its users (so a user's operations form one
/// sequence) and registers new contacts, refreshes and removes them (REGISTER with expires 0, the next CSeq of the
/// user's Call-ID, so a late retry of an older REGISTER cannot undo it) and looks users up. Every answer is kept.
/// </summary>
public sealed class Load(HttpClient http, int users, int workers, int seed)
{
    private const int MaxContactsPerUser = 3;
    private readonly ConcurrentQueue<Op> _ops = new();

    public IReadOnlyList<Op> Ops => _ops.ToList();

    public static string User(int i) => $"chaos{i:D5}";

    public Task RunAsync(CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(worker => Task.Run(() => WorkAsync(worker, stop))));

    private async Task WorkAsync(int worker, CancellationToken stop)
    {
        var random = new Random(seed * 1000 + worker);
        var mine = Enumerable.Range(0, users).Where(i => i % workers == worker).ToList();
        var contacts = mine.ToDictionary(i => i, _ => new List<string>());
        var cseq = mine.ToDictionary(i => i, _ => 0);
        var next = 0;
        while (!stop.IsCancellationRequested)
        {
            var i = mine[random.Next(mine.Count)];
            var user = User(i);
            var roll = random.NextDouble();
            if (roll < 0.35 || contacts[i].Count == 0)
            {
                var contact = contacts[i].Count < MaxContactsPerUser || roll < 0.1
                    ? $"sip:{user}@192.0.2.{worker + 1}:{5060 + ++next % 1000}"
                    : contacts[i][random.Next(contacts[i].Count)]; // a refresh
                var outcome = await RegisterAsync(user, contact, 3600, ++cseq[i]);
                _ops.Enqueue(outcome);
                if (outcome.Outcome == Outcome.Acked && !contacts[i].Contains(contact))
                    contacts[i].Add(contact);
            }
            else if (roll < 0.5)
            {
                var contact = contacts[i][random.Next(contacts[i].Count)];
                var outcome = await RegisterAsync(user, contact, 0, ++cseq[i]);
                _ops.Enqueue(outcome with { Kind = OpKind.Remove });
                if (outcome.Outcome == Outcome.Acked)
                    contacts[i].Remove(contact);
            }
            else
            {
                _ops.Enqueue(await LookupAsync(user));
            }

            await Task.Delay(5, CancellationToken.None);
        }
    }

    private async Task<Op> RegisterAsync(string user, string contact, int expires, int cseq)
    {
        var sent = DateTime.UtcNow;
        try
        {
            using var response = await http.PostAsJsonAsync($"/v1/aors/{user}",
                new { contacts = new[] { new { uri = contact, expires } }, callId = $"chaos-{user}", cseq });
            return new Op(user, OpKind.Register, contact, sent, DateTime.UtcNow, response.StatusCode switch
            {
                HttpStatusCode.OK => Outcome.Acked,
                >= HttpStatusCode.BadRequest and < HttpStatusCode.InternalServerError => Outcome.Refused,
                _ => Outcome.Unknown,
            });
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new Op(user, OpKind.Register, contact, sent, DateTime.UtcNow, Outcome.Unknown);
        }
    }

    /// <summary>A lookup: answered with the contacts (404: none), or no verdict.</summary>
    public async Task<Op> LookupAsync(string user)
    {
        var sent = DateTime.UtcNow;
        try
        {
            using var response = await http.GetAsync($"/v1/aors/{user}");
            if (response.StatusCode == HttpStatusCode.NotFound)
                return new Op(user, OpKind.Lookup, null, sent, DateTime.UtcNow, Outcome.Acked, []);
            if (response.StatusCode != HttpStatusCode.OK)
                return new Op(user, OpKind.Lookup, null, sent, DateTime.UtcNow, Outcome.Unknown);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            var found = body.GetProperty("contacts").EnumerateArray().Select(c => c.GetProperty("uri").GetString()!).ToList();
            return new Op(user, OpKind.Lookup, null, sent, DateTime.UtcNow, Outcome.Acked, found);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new Op(user, OpKind.Lookup, null, sent, DateTime.UtcNow, Outcome.Unknown);
        }
    }
}
