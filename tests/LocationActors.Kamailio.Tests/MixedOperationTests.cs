using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using LocationActors.Chaos;
using LocationActors.Domain.Aors;
using LocationActors.Domain.LocDb;
using LocationActors.Domain.Partitioning;
using LocationActors.TestSupport;
using Xunit.Abstractions;

namespace LocationActors.Kamailio.Tests;

/// <summary>
/// Kamailio p_usrloc and LocationActors on the same databases, each case a place where the two sides could disagree:
/// who finds whose registrations, which group holds a user, crossing updates and removals, contact order, the
/// states in locdb, and every field of a row.
/// </summary>
[Collection(MixedDeploymentCollection.Name)]
[Trait(Tier.Name, Tier.Kamailio)]
public sealed class MixedOperationTests(MixedDeployment deployment, ITestOutputHelper output)
{
    private static int GroupOf(string user) => Partitioner.GroupOf(Aor.FromColumns(user, null), 2);

    private static async Task<string> AskAsync(int port, Func<int, string> message)
    {
        using var peer = new SipUdpPeer(port);
        return await peer.AskAsync(message(peer.Port));
    }

    private Task<string> RegisterAsync(int port, string user, string callId, int cseq, string contact, string? extra = null) =>
        AskAsync(port, peer => SipText.Register(peer, user, callId, cseq, contact, extra));

    /// <summary>The contacts of a 302 (URIs in order), or empty for a 404.</summary>
    private static async Task<IReadOnlyList<string>> RedirectAsync(int port, string user)
    {
        // Matched by Call-ID: a new socket may get the port of an earlier one, and with it a retransmission of its 302.
        using var phone = new SipClient(port, MixedDeployment.SipLimit);
        return await phone.LookupAsync(user) ?? throw new Xunit.Sdk.XunitException($"a lookup of {user} on port {port} got neither 302 nor 404");
    }

    private async Task<JsonElement?> HttpLookupAsync(string user)
    {
        using var response = await deployment.Http.GetAsync($"/v1/aors/{user}");
        return response.StatusCode == HttpStatusCode.OK ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement : null;
    }

    private int Kamailio => deployment.KamailioPort;

    private int LocationActors => deployment.SipPort;

    [Fact]
    public async Task A_phone_registered_through_kamailio_is_found_through_location_actors_over_sip_and_http()
    {
        Assert.Equal(200, SipText.Status(await RegisterAsync(Kamailio, "kam1", "kam1-call", 1, "<sip:kam1@192.0.2.1:5060>")));

        Assert.Equal(["sip:kam1@192.0.2.1:5060"], await RedirectAsync(LocationActors, "kam1"));
        Assert.Equal("sip:kam1@192.0.2.1:5060", (await HttpLookupAsync("kam1"))?.GetProperty("contacts")[0].GetProperty("uri").GetString());
    }

    [Fact]
    public async Task A_phone_registered_through_location_actors_is_found_by_kamailios_lookup()
    {
        Assert.Equal(200, SipText.Status(await RegisterAsync(LocationActors, "la1", "la1-call", 1, "<sip:la1@192.0.2.2:5060>")));

        Assert.Equal(["sip:la1@192.0.2.2:5060"], await RedirectAsync(Kamailio, "la1"));
    }

    [Fact]
    public async Task A_thousand_users_land_in_the_same_group_from_both_sides_and_each_side_finds_the_others()
    {
        var users = Enumerable.Range(0, 1000).Select(i => $"mix{i:D4}").ToList();
        for (var i = 0; i < users.Count; i++)
        {
            var (side, user) = (i < 500 ? Kamailio : LocationActors, users[i]);
            var answer = await RegisterAsync(side, user, $"{user}-call", 1, $"<sip:{user}@192.0.2.{i % 250 + 1}:5060>");
            Assert.True(SipText.Status(answer) == 200, answer);
        }

        // Where the rows are: on both members of the group p_usrloc's hash gives, and nowhere else.
        var usernames = new Dictionary<(int, int), HashSet<string>>();
        foreach (var (key, member) in deployment.Members)
        {
            var rows = new HashSet<string>();
            await foreach (var row in member.StreamAllAsync())
                rows.Add(row.Username);
            usernames[key] = rows;
        }

        foreach (var user in users)
        {
            var group = GroupOf(user);
            Assert.True(usernames[(group, 1)].Contains(user) && usernames[(group, 2)].Contains(user), $"{user} is not on both members of group {group}");
            Assert.False(usernames[(3 - group, 1)].Contains(user) || usernames[(3 - group, 2)].Contains(user), $"{user} is in group {3 - group}");
        }

        // Each side finds what the other registered.
        for (var i = 0; i < users.Count; i++)
        {
            var other = i < 500 ? LocationActors : Kamailio;
            Assert.Equal([$"sip:{users[i]}@192.0.2.{i % 250 + 1}:5060"], await RedirectAsync(other, users[i]));
        }

        output.WriteLine($"1000 users: group 1 holds {users.Count(u => GroupOf(u) == 1)}, group 2 {users.Count(u => GroupOf(u) == 2)}; every one found from the other side");
    }

    [Fact]
    public async Task A_registration_updated_and_removed_from_the_other_side_is_seen_by_both()
    {
        Assert.Equal(200, SipText.Status(await RegisterAsync(Kamailio, "cross", "cross-call", 1, "<sip:cross@192.0.2.3>", "Expires: 600\r\n")));

        // The re-REGISTER (same Call-ID, next CSeq) goes through LocationActors.
        var refreshed = await RegisterAsync(LocationActors, "cross", "cross-call", 2, "<sip:cross@192.0.2.3>", "Expires: 1800\r\n");
        Assert.Equal(200, SipText.Status(refreshed));
        Assert.Single(SipText.Headers(refreshed, "Contact")); // updated, not a second binding

        // Kamailio sees the new expiry (a REGISTER without Contact fetches the bindings).
        var fetched = await AskAsync(Kamailio, peer => SipText.Register(peer, "cross", "cross-fetch", 1, ""));
        var expires = int.Parse(Regex.Match(Assert.Single(SipText.Headers(fetched, "Contact")), "expires=(\\d+)").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires, 1700, 1800);

        // The un-REGISTER goes through Kamailio: LocationActors no longer finds it.
        Assert.Equal(200, SipText.Status(await RegisterAsync(Kamailio, "cross", "cross-call", 3, "<sip:cross@192.0.2.3>", "Expires: 0\r\n")));
        Assert.Empty(await RedirectAsync(LocationActors, "cross"));
        Assert.Null(await HttpLookupAsync("cross"));
    }

    [Fact]
    public async Task Both_sides_order_contacts_alike()
    {
        // Different q values, registered through Kamailio; equal q values, registered one by one through LocationActors.
        Assert.Equal(200, SipText.Status(await RegisterAsync(Kamailio, "qq", "qq-call", 1,
            "<sip:qq@192.0.2.10>;q=0.2, <sip:qq@192.0.2.11>;q=0.9, <sip:qq@192.0.2.12>;q=0.5")));
        for (var i = 0; i < 3; i++)
            Assert.Equal(200, SipText.Status(await RegisterAsync(LocationActors, "tie", "tie-call", i + 1, $"<sip:tie@192.0.2.{20 + i}>;q=0.5")));

        // Kamailio's order is the one its registrar lists (p_usrloc's record order, which lookup() follows too).
        foreach (var user in new[] { "qq", "tie" })
        {
            var fetched = await AskAsync(Kamailio, peer => SipText.Register(peer, user, $"{user}-fetch", 1, ""));
            var kamailio = SipText.Headers(fetched, "Contact").SelectMany(Sip.SipHeaderNames.SplitValues)
                .Select(c => Regex.Match(c, "<([^>]+)>").Groups[1].Value).ToList();
            Assert.Equal(3, kamailio.Count);
            Assert.Equal(kamailio, await RedirectAsync(LocationActors, user));
            Assert.Equal(kamailio.Order(), (await RedirectAsync(Kamailio, user)).Order()); // and lookup() finds the same three
        }

        Assert.Equal(["sip:qq@192.0.2.11", "sip:qq@192.0.2.12", "sip:qq@192.0.2.10"], await RedirectAsync(LocationActors, "qq"));
    }

    [Fact]
    public async Task Rows_written_by_each_side_carry_the_same_fields_for_the_other()
    {
        const string Contact = "<sip:{0}@192.0.2.30:5062;transport=udp>;q=0.7;+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-00000000beef>\";reg-id=2";
        const string Path = "Path: <sip:edge.example.com;lr>\r\nSupported: path\r\nUser-Agent: phone/2.0\r\n";
        Assert.Equal(200, SipText.Status(await RegisterAsync(Kamailio, "fk", "fk-call", 7, string.Format(Contact, "fk"), Path)));
        Assert.Equal(200, SipText.Status(await RegisterAsync(LocationActors, "fl", "fl-call", 7, string.Format(Contact, "fl"), Path)));

        var group = deployment.Members[(GroupOf("fk"), 1)];
        var kamailioRow = Assert.Single(await group.LoadAorAsync("fk", null));
        var ourRow = Assert.Single(await deployment.Members[(GroupOf("fl"), 1)].LoadAorAsync("fl", null));
        // Field by field, what each side stored for the same REGISTER.
        Assert.Equal(kamailioRow.Contact.Replace("fk@", "fl@"), ourRow.Contact);
        Assert.Equal((kamailioRow.Q, kamailioRow.Path, kamailioRow.Instance, kamailioRow.RegId, kamailioRow.CSeq, kamailioRow.UserAgent),
            (ourRow.Q, ourRow.Path, ourRow.Instance, ourRow.RegId, ourRow.CSeq, ourRow.UserAgent));
        Assert.Equal((kamailioRow.Methods, kamailioRow.Flags, kamailioRow.CFlags), (ourRow.Methods, ourRow.Flags, ourRow.CFlags));
        Assert.InRange(Math.Abs(kamailioRow.Expires - ourRow.Expires), 0, 5);
        Assert.InRange(Math.Abs(kamailioRow.LastModified - ourRow.LastModified), 0, 5);

        // And each side reads the other's row: LocationActors over HTTP, Kamailio in its 200 to a fetching REGISTER.
        var seen = (await HttpLookupAsync("fk"))!.Value.GetProperty("contacts")[0];
        Assert.Equal((0.7, "<sip:edge.example.com;lr>", 2, "phone/2.0"),
            (seen.GetProperty("q").GetDouble(), seen.GetProperty("path").GetString(), seen.GetProperty("regId").GetInt32(), seen.GetProperty("userAgent").GetString()));
        Assert.InRange(seen.GetProperty("expires").GetInt64(), 3590, 3600);
        var fetched = Assert.Single(SipText.Headers(await AskAsync(Kamailio, peer => SipText.Register(peer, "fl", "fl-fetch", 1, "")), "Contact"));
        Assert.Contains("q=0.7", fetched);
        Assert.Contains("reg-id=2", fetched);
        Assert.Contains("urn:uuid:00000000-0000-0000-0000-00000000beef", fetched);
        Assert.InRange(int.Parse(Regex.Match(fetched, "expires=(\\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 3590, 3600);

        // The socket column: Kamailio's own socket in its row; NULL in ours, which Kamailio reads without a complaint
        // (our listener's address is no socket of Kamailio's, and it would log "non-local socket" for each such row).
        Assert.Equal($"udp:127.0.0.1:{deployment.KamailioPort}", kamailioRow.Socket);
        Assert.Null(ourRow.Socket);
        Assert.DoesNotContain(deployment.KamailioLogLines(), line => line.Contains("non-local socket", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_member_in_maintenance_is_avoided_by_both_sides()
    {
        var (kamUser, ourUser) = ("mk" + FirstInGroup(1, "mk"), "ml" + FirstInGroup(1, "ml"));
        await deployment.Master.SetStatusAsync(1, 1, LocDbStatus.Maintenance);
        try
        {
            // LocationActors reads locdb every second; Kamailio on every operation.
            await UntilAsync(async () => JsonDocument.Parse(await deployment.Http.GetStringAsync("/v1/cluster")).RootElement.GetProperty("groups")
                .EnumerateArray().First(g => g.GetProperty("id").GetInt32() == 1).GetProperty("members").EnumerateArray()
                .First(m => m.GetProperty("no").GetInt32() == 1).GetProperty("active").GetBoolean() == false);

            Assert.Equal(200, SipText.Status(await RegisterAsync(Kamailio, kamUser, "m1", 1, $"<sip:{kamUser}@192.0.2.40>")));
            Assert.Equal(200, SipText.Status(await RegisterAsync(LocationActors, ourUser, "m2", 1, $"<sip:{ourUser}@192.0.2.41>")));

            foreach (var user in new[] { kamUser, ourUser })
            {
                Assert.Empty(await deployment.Members[(1, 1)].LoadAorAsync(user, null));
                Assert.Single(await deployment.Members[(1, 2)].LoadAorAsync(user, null));
            }
        }
        finally
        {
            await deployment.Master.SetStatusAsync(1, 1, LocDbStatus.On);
        }
    }

    private static string FirstInGroup(int group, string prefix) =>
        Enumerable.Range(0, 1000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).First(i => GroupOf(prefix + i) == group);

    private static Task UntilAsync(Func<Task<bool>> condition) =>
        Eventually.UntilAsync("LocationActors sees the locdb change", condition, TimeSpan.FromSeconds(30));
}
