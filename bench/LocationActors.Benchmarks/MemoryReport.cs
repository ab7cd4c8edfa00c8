using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;
using LocationActors.Storage;
using Microsoft.Data.Sqlite;

namespace LocationActors.Benchmarks;

/// <summary>
/// The group-size questions, which need millions of contacts and so do not fit BenchmarkDotNet's repeated
/// invocations: bytes per cached contact, the warm-up of a group with a million contacts from its member database,
/// and how the in-memory REGISTER rate changes with the number of stored contacts. Prints markdown tables.
/// </summary>
public static class MemoryReport
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var repeats = quick ? 3 : 5;
        var sizes = quick ? new[] { 10_000, 100_000 } : [10_000, 100_000, 1_000_000];
        var warmUpContacts = quick ? 100_000 : 1_000_000;
        var folder = Option(args, "--dir") ?? Path.Combine(Path.GetTempPath(), "la-bench-memory");
        Directory.CreateDirectory(folder);

        Console.WriteLine($"memory report: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {repeats} runs per number (median)");
        Console.WriteLine();
        await WireSizesAsync();
        BytesPerContact(quick ? [100_000] : [100_000, 1_000_000], repeats);
        await WarmUpAsync(folder, warmUpContacts, quick ? 1 : 3);
        RegisterScaling(sizes, repeats);
        return 0;
    }

    // ---- wire sizes -----------------------------------------------------------------------------------------------

    /// <summary>What each serializer puts on the wire for the benchmarked messages (payload + manifest).</summary>
    private static async Task WireSizesAsync()
    {
        var system = ActorSystem.Create("sizes", ConfigurationFactory.ParseString("akka.loglevel = WARNING")
            .WithFallback(ConfigurationFactory.ParseString(Wire.NewtonsoftConverters)));
        try
        {
            Console.WriteLine("### Wire size of the benchmarked messages (payload bytes + manifest bytes)");
            Console.WriteLine();
            Console.WriteLine("| serializer | " + string.Join(" | ", Messages.All.Select(m => m.GetType().Name)) + " |");
            Console.WriteLine("|---|" + string.Concat(Messages.All.Select(_ => "---|")));
            foreach (var format in Enum.GetValues<WireFormat>())
            {
                var wire = Wire.For(format, (ExtendedActorSystem)system);
                var cells = Messages.All.Select(m => wire.Write(m)).Select(w => $"{w.Bytes.Length} + {w.Manifest.Length}");
                Console.WriteLine($"| {wire.Name} | {string.Join(" | ", cells)} |");
            }

            Console.WriteLine();
        }
        finally
        {
            await system.Terminate();
        }
    }

    // ---- bytes per contact --------------------------------------------------------------------------------------

    /// <summary>
    /// The group's contact store filled as the warm-up fills it (one binding per AOR, every string a distinct
    /// instance as a database reader returns them), measured with a full blocking GC before and after.
    /// </summary>
    private static void BytesPerContact(int[] counts, int repeats)
    {
        Console.WriteLine("### Bytes per cached contact (GroupContacts, as loaded by the warm-up)");
        Console.WriteLine();
        Console.WriteLine("| contacts | heap growth MiB (median) | bytes per contact (median) | min | max |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var count in counts)
        {
            var perContact = new List<double>();
            for (var run = 0; run < repeats; run++)
            {
                var before = GC.GetTotalMemory(forceFullCollection: true);
                var contacts = new GroupContacts();
                for (var n = 0; n < count; n++)
                    contacts.Load(Samples.Binding(n));
                var after = GC.GetTotalMemory(forceFullCollection: true);
                if (contacts.BindingCount != count)
                    throw new InvalidOperationException("not every contact was stored");
                GC.KeepAlive(contacts);
                perContact.Add((after - before) / (double)count);
            }

            Console.WriteLine($"| {count:N0} | {Median(perContact) * count / 1024 / 1024:N0} | {Median(perContact):N0} | {perContact.Min():N0} | {perContact.Max():N0} |");
        }

        Console.WriteLine();
    }

    // ---- warm-up ------------------------------------------------------------------------------------------------

    /// <summary>
    /// A real <see cref="LocationGroup"/> actor starting on a SQLite member file of <paramref name="contacts"/> rows:
    /// from the moment it gets its layout until it holds every contact in memory. A group serves while it warms up (a
    /// lookup of an AOR not loaded yet is read from the member), so the end is when its status counts every contact,
    /// asked every 20 ms. The heap it holds afterwards is the second measure of bytes per contact, the actor's own
    /// structures included.
    /// </summary>
    private static async Task WarmUpAsync(string folder, int contacts, int repeats)
    {
        var file = Path.Combine(folder, $"member-{contacts}.db");
        var generated = await EnsureMemberAsync(file, contacts);
        Console.WriteLine($"### Warm-up of a group with {contacts:N0} contacts (SQLite member file, {new FileInfo(file).Length / 1024 / 1024:N0} MiB, {generated})");
        Console.WriteLine();
        Console.WriteLine("| run | warm-up s | contacts/s | heap held after MiB | bytes per contact |");
        Console.WriteLine("|---|---|---|---|---|");
        var seconds = new List<double>();
        for (var run = 1; run <= repeats; run++)
        {
            var system = ActorSystem.Create("warmup", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
            try
            {
                var before = GC.GetTotalMemory(forceFullCollection: true);
                var clock = Stopwatch.StartNew();
                // Group 1 of 1: the group still hashes every row it loads to check it is its own, as with N groups.
                var group = GroupActorBenchmarks.StartGroup(system, "sqlite://" + file, 1);
                while ((await group.Ask<GroupStatus>(new GetGroupStatus(1, run), Timeout)).ContactCount < contacts)
                {
                    if (clock.Elapsed > Timeout)
                        throw new TimeoutException($"the group did not load {contacts:N0} contacts within {Timeout.TotalSeconds:N0} s");
                    await Task.Delay(20);
                }

                var elapsed = clock.Elapsed.TotalSeconds;
                var answer = await group.Ask<LookupResult>(new LookupContacts(1, 1, Samples.AorOf(contacts - 1)), Timeout);
                if (answer.Contacts.Count != 1)
                    throw new InvalidOperationException("the last contact was not loaded");
                var after = GC.GetTotalMemory(forceFullCollection: true);
                seconds.Add(elapsed);
                Console.WriteLine($"| {run} | {elapsed:N2} | {contacts / elapsed:N0} | {(after - before) / 1024.0 / 1024:N0} | {(after - before) / (double)contacts:N0} |");
                GC.KeepAlive(group);
            }
            finally
            {
                await system.Terminate();
                SqliteConnection.ClearAllPools();
            }
        }

        Console.WriteLine($"| median | {Median(seconds):N2} | {contacts / Median(seconds):N0} | | |");
        Console.WriteLine();
    }

    /// <summary>
    /// A member database with one binding per user, written once and kept for later runs: one row through the real
    /// storage layer (so every encoding is the project's own), copied in SQL with per-user values of the same shape as
    /// <see cref="Samples.Binding"/> (a REPLACE per row would take minutes).
    /// </summary>
    private static async Task<string> EnsureMemberAsync(string file, int contacts)
    {
        if (File.Exists(file) && await CountAsync(file) == contacts)
            return "reused";
        File.Delete(file);
        var clock = Stopwatch.StartNew();
        await using (var database = new LocationDatabase(DatabaseUrl.Parse("sqlite://" + file)))
        {
            await database.CreateSchemaAsync();
            var template = Samples.Binding(0, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 30 * 86400 - 3600);
            await database.UpsertAsync([template]);
        }

        await using (var connection = new SqliteConnection("Data Source=" + file))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @count)
                INSERT INTO location (ruid, username, domain, contact, received, path, expires, q, callid, cseq, last_modified, flags, cflags,
                                      user_agent, socket, methods, instance, reg_id, server_id, connection_id, keepalive, "partition")
                SELECT printf('uloc-6955b900-5f3a9b2c-%x', i + 1),
                       printf('49%08d', i),
                       t.domain,
                       printf('sip:49%08d@10.%d.%d.%d:5060', i, i / 65536 % 256, i / 256 % 256, i % 256),
                       printf('sip:198.51.%d.%d:%d', i / 256 % 256, i % 256, 1024 + i % 60000),
                       t.path, t.expires, t.q,
                       printf('%08x-4c1e-11f0@10.%d.%d.%d', (i * 2654435761) % 4294967296, i / 65536 % 256, i / 256 % 256, i % 256),
                       t.cseq, t.last_modified, t.flags, t.cflags, t.user_agent, t.socket, t.methods, t.instance, t.reg_id,
                       t.server_id, t.connection_id, t.keepalive, t."partition"
                FROM n, (SELECT * FROM location LIMIT 1) AS t;
                DELETE FROM location WHERE id = (SELECT MIN(id) FROM location);
                """;
            command.Parameters.AddWithValue("@count", contacts);
            command.CommandTimeout = 600;
            await command.ExecuteNonQueryAsync();
        }

        SqliteConnection.ClearAllPools();
        if (await CountAsync(file) != contacts)
            throw new InvalidOperationException($"{file}: the copy did not make {contacts} rows");
        return string.Create(CultureInfo.InvariantCulture, $"generated in {clock.Elapsed.TotalSeconds:N0} s");
    }

    private static async Task<long> CountAsync(string file)
    {
        await using var database = new LocationDatabase(DatabaseUrl.Parse("sqlite://" + file));
        try
        {
            return await database.CountAsync();
        }
        catch (StorageException)
        {
            return -1;
        }
    }

    // ---- REGISTER rate against the group's size ---------------------------------------------------------------

    /// <summary>
    /// Refreshes of random users, first REGISTERs of new users, and lookups, against a group holding 10 k to 1 M
    /// contacts (<see cref="GroupState"/>: the group's in-memory work, no database). Each run times a fixed number
    /// of operations after a warm-up pass.
    /// </summary>
    private static void RegisterScaling(int[] sizes, int repeats)
    {
        const int operations = 200_000;
        Console.WriteLine($"### In-memory REGISTER rate against stored contacts ({operations:N0} operations per run, median of {repeats})");
        Console.WriteLine();
        Console.WriteLine("| stored contacts | re-REGISTER/s | new-AOR REGISTER/s | lookups/s |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var size in sizes)
        {
            var group = GroupState.Filled(size);
            var random = new Random(size);
            var cseq = 1;
            var fresh = size;
            var refresh = new List<double>();
            var first = new List<double>();
            var lookups = new List<double>();
            for (var run = 0; run <= repeats; run++)
            {
                var picks = Enumerable.Range(0, operations).Select(_ => random.Next(size)).ToArray();
                var clock = Stopwatch.StartNew();
                foreach (var n in picks)
                {
                    var aor = Samples.AorOf(n);
                    var stored = group.Contacts.Get(aor)[0];
                    var request = new RegisterRequest(aor, [new ContactUpdate(stored.Contact, 3600, QValue.Unspecified, stored.Received)], stored.CallId,
                        ++cseq, UserAgent: stored.UserAgent, Socket: stored.Socket);
                    if (group.Register(new RegisterBindings(1, cseq, request), Samples.Now)?.Action != RegisterAction.Updated)
                        throw new InvalidOperationException("a refresh was not applied");
                }

                var refreshRate = operations / clock.Elapsed.TotalSeconds;

                // New users, then (untimed) their removal, so the next step finds the group at its size again.
                var newUsers = Enumerable.Range(fresh, operations / 10).ToArray();
                fresh += newUsers.Length;
                var requests = newUsers.Select(n => new RegisterBindings(1, n, Samples.Register(n, 1))).ToArray();
                clock.Restart();
                foreach (var request in requests)
                    if (group.Register(request, Samples.Now)?.Action != RegisterAction.Inserted)
                        throw new InvalidOperationException("a first REGISTER was not applied");
                var firstRate = requests.Length / clock.Elapsed.TotalSeconds;
                foreach (var n in newUsers)
                    group.Register(new RegisterBindings(1, n, Samples.Register(n, 2, expires: 0)), Samples.Now);

                clock.Restart();
                var found = 0;
                foreach (var n in picks)
                    found += group.Lookup(new LookupContacts(1, n, Samples.AorOf(n)), Samples.Now)!.Contacts.Count;
                var lookupRate = operations / clock.Elapsed.TotalSeconds;
                if (found != operations || group.Contacts.AorCount != size)
                    throw new InvalidOperationException("the group changed size");
                if (run == 0)
                    continue; // JIT and caches
                refresh.Add(refreshRate);
                first.Add(firstRate);
                lookups.Add(lookupRate);
            }

            Console.WriteLine($"| {size:N0} | {Median(refresh):N0} | {Median(first):N0} | {Median(lookups):N0} |");
        }

        Console.WriteLine();
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
