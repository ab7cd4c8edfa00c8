using System.Diagnostics;
using System.Globalization;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Partitioning;
using LocationActors.Storage;

namespace LocationActors.Bench;

/// <summary>
/// Users stored straight into a group's member databases before any node reads them, as an operator's existing
/// p_usrloc tables are: registering millions through SIP would take longer than the run. The users of one group are
/// PREFIX000000001, PREFIX000000002, ... kept where p_usrloc's hash puts them in that group, so the bulk load and the
/// load that looks them up name the same users without a file.
/// </summary>
public static class StoredUsers
{
    /// <summary>The first <paramref name="count"/> users of <paramref name="group"/> of <paramref name="groupCount"/>.</summary>
    public static IEnumerable<string> Of(string prefix, int group, int groupCount, int count) =>
        Enumerable.Range(1, int.MaxValue - 1).Select(i => $"{prefix}{i:D9}").Where(user => Partitioner.GroupOf(user, groupCount) == group).Take(count);

    /// <summary>The one contact each stored user has: what a lookup of the user must answer.</summary>
    public static string ContactOf(string user) => $"sip:{user}@192.0.2.{int.Parse(user[^2..], CultureInfo.InvariantCulture) + 1}:5060";

    /// <summary>Writes the users' contacts to every member (in parallel, one server each), creating the tables when
    /// missing; prints the time it took.</summary>
    public static async Task<int> LoadAsync(IReadOnlyList<string> memberUrls, string prefix, int group, int groupCount, int count, TextWriter output, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var options = new StorageOptions { CommandTimeout = TimeSpan.FromMinutes(5) };
        var members = memberUrls.Select(url => new LocationDatabase(DatabaseUrl.Parse(url), options)).ToList();
        try
        {
            foreach (var member in members)
                await member.CreateSchemaAsync(ct);
            var lastModified = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var rows = Of(prefix, group, groupCount, count).Select((user, i) => new ContactBinding(
                Ruid: $"uloc-{prefix}-{i}", Username: user, Domain: null, Contact: ContactOf(user), Received: null, Path: null,
                Expires: 1_900_000_000, Q: QValue.Unspecified, CallId: $"bulk-{user}", CSeq: 1, LastModified: lastModified, Flags: 0,
                CFlags: 0, UserAgent: "bulk-loaded/1.0", Socket: null, Methods: null, Instance: null, RegId: 0));
            foreach (var chunk in rows.Chunk(5_000))
            {
                var failed = await Task.WhenAll(members.Select(member => member.UpsertAsync(chunk, ct)));
                if (failed.Any(f => f.Count > 0))
                    throw new InvalidOperationException($"{failed.Sum(f => f.Count)} rows were refused: {failed.SelectMany(f => f).First()}");
            }
        }
        finally
        {
            foreach (var member in members)
                await member.DisposeAsync();
        }

        output.WriteLine($"stored {count:N0} contacts of group {group} (of {groupCount}) on {members.Count} members in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}
