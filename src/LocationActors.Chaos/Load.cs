using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LocationActors.Chaos;

/// <summary>
/// Steady mixed traffic through the proxies' HTTP API, as phones make it: every user is its own client, independent
/// of the others, that registers new contacts, refreshes and removes them (REGISTER with expires 0 and the next CSeq of
/// the user's Call-ID, so a late retry of an older REGISTER cannot undo it) and looks itself up, with a pause between
/// two operations. A user waits for each answer (its operations form one sequence), so a user whose group is failing
/// over waits while the others go on — a closed loop over a few workers would instead stall everybody behind the one
/// slow group. A user talks to its own proxy and, when that proxy refuses connections (restarting), to the other
/// one, as a SIP client does with the targets of a DNS SRV record. Every answer is kept. In a mixed run every other
/// user is a phone of a Kamailio p_usrloc on the same databases: its registrations, removals and lookups go to
/// Kamailio over SIP instead.
/// </summary>
public sealed class Load(IReadOnlyList<HttpClient> proxies, int users, int seed, TimeSpan meanPause, int? kamailioPort = null)
{
    /// <summary>How long a phone of Kamailio waits for an answer (Kamailio itself waits on a frozen database).</summary>
    private static readonly TimeSpan SipLimit = TimeSpan.FromSeconds(15);

    private const int MaxContactsPerUser = 3;

    /// <summary>
    /// Contacts a user never goes beyond: Kamailio's lookup() forks to at most 12 branches (MAX_BRANCHES), so its 302
    /// would list only 12 of a user's contacts, which the checker would take for lost ones (8 leaves room for registrations
    /// that got no answer but were stored).
    /// </summary>
    private const int MostContactsPerUser = 8;

    private readonly ConcurrentQueue<Op> _ops = new();

    public IReadOnlyList<Op> Ops => _ops.ToList();

    public static string User(int i) => $"chaos{i:D5}";

    /// <summary>Whether user <paramref name="i"/> registers and looks up through Kamailio (mixed runs: the odd ones).</summary>
    public bool ThroughKamailio(int i) => kamailioPort is not null && i % 2 == 1;

    public Task RunAsync(CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, users).Select(i => Task.Run(() => UserAsync(i, stop))));

    private async Task UserAsync(int i, CancellationToken stop)
    {
        var random = new Random(seed * 100_003 + i);
        var user = User(i);
        var contacts = new List<string>();
        var cseq = 0;
        var next = 0;
        // Spread the users' first operations over one pause, so they do not all start in the same millisecond.
        await Pause(random, meanPause * random.NextDouble(), stop);
        while (!stop.IsCancellationRequested)
        {
            var roll = random.NextDouble();
            if (roll < 0.35 || contacts.Count == 0)
            {
                var contact = contacts.Count < MaxContactsPerUser || (roll < 0.1 && contacts.Count < MostContactsPerUser)
                    ? $"sip:{user}@192.0.2.{i % 250 + 1}:{5060 + ++next % 1000}"
                    : contacts[random.Next(contacts.Count)]; // a refresh
                var outcome = await RegisterAsync(i, user, contact, 3600, ++cseq);
                _ops.Enqueue(outcome);
                if (outcome.Outcome == Outcome.Acked && !contacts.Contains(contact))
                    contacts.Add(contact);
            }
            else if (roll < 0.5)
            {
                var contact = contacts[random.Next(contacts.Count)];
                var outcome = await RegisterAsync(i, user, contact, 0, ++cseq);
                _ops.Enqueue(outcome with { Kind = OpKind.Remove });
                if (outcome.Outcome == Outcome.Acked)
                    contacts.Remove(contact);
            }
            else
            {
                _ops.Enqueue(ThroughKamailio(i) ? await LookupThroughKamailioAsync(user) : await LookupAsync(user, i));
            }

            await Pause(random, meanPause * (0.5 + random.NextDouble()), stop);
        }
    }

    private static async Task Pause(Random random, TimeSpan pause, CancellationToken stop)
    {
        try
        {
            await Task.Delay(pause, stop);
        }
        catch (OperationCanceledException)
        {
            // the run is over
        }
    }

    private async Task<Op> RegisterAsync(int i, string user, string contact, int expires, int cseq)
    {
        var sent = DateTime.UtcNow;
        if (ThroughKamailio(i))
        {
            using var phone = new SipClient(kamailioPort!.Value, SipLimit);
            var status = await phone.RegisterAsync(user, $"chaos-{user}", cseq, contact, expires);
            return new Op(user, OpKind.Register, contact, sent, DateTime.UtcNow, status switch
            {
                200 => Outcome.Acked,
                >= 400 and < 500 => Outcome.Refused,
                _ => Outcome.Unknown, // 500: p_usrloc stops at the first member that failed, so some may hold it
            });
        }

        try
        {
            using var response = await SendAsync(i, http => http.PostAsJsonAsync($"/v1/aors/{user}",
                new { contacts = new[] { new { uri = contact, expires } }, callId = $"chaos-{user}", cseq }));
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

    /// <summary>A lookup through Kamailio: answered with the contacts (404: none), or no verdict.</summary>
    public async Task<Op> LookupThroughKamailioAsync(string user)
    {
        var sent = DateTime.UtcNow;
        using var phone = new SipClient(kamailioPort ?? throw new InvalidOperationException("not a mixed run"), SipLimit);
        return await phone.LookupAsync(user) is { } found
            ? new Op(user, OpKind.Lookup, null, sent, DateTime.UtcNow, Outcome.Acked, found)
            : new Op(user, OpKind.Lookup, null, sent, DateTime.UtcNow, Outcome.Unknown);
    }

    /// <summary>A lookup: answered with the contacts (404: none), or no verdict.</summary>
    public async Task<Op> LookupAsync(string user, int preferred = 0)
    {
        var sent = DateTime.UtcNow;
        try
        {
            using var response = await SendAsync(preferred, http => http.GetAsync($"/v1/aors/{user}"));
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

    /// <summary>
    /// Sends to the user's proxy, and to the next one only when the connection could not even be made: then the request
    /// never left, so sending it elsewhere cannot apply it twice. A connection lost mid-request stays without a verdict.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(int preferred, Func<HttpClient, Task<HttpResponseMessage>> send)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await send(proxies[(preferred + attempt) % proxies.Count]);
            }
            catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError && attempt + 1 < proxies.Count)
            {
                // that proxy is down: the next one
            }
        }
    }
}
