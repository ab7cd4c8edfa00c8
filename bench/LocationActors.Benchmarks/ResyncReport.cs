using System.Diagnostics;
using System.Globalization;
using LocationActors.Domain.Contacts;
using LocationActors.Storage;

namespace LocationActors.Benchmarks;

/// <summary>
/// What a resync after a takeover costs on MariaDB, by table size: the full path (read every row of the member and
/// compare it with memory, <see cref="LocationDatabase.ReconcileAsync"/>) against the digest path (both servers compute
/// a digest of their table, <see cref="LocationDatabase.DigestAsync"/>, and nothing is read when they agree). Two
/// member databases are filled alike; medians of repeats. Prints a markdown table.
/// </summary>
public static class ResyncReport
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: resync MEMBER_URL OTHER_URL [SIZE ...]  (mysql:// URLs of two empty databases)");
            return 2;
        }

        var sizes = args.Length > 2 ? args[2..].Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [100_000, 1_000_000];
        var options = new StorageOptions { CommandTimeout = TimeSpan.FromMinutes(5) };
        await using var member = new LocationDatabase(DatabaseUrl.Parse(args[0]), options);
        await using var other = new LocationDatabase(DatabaseUrl.Parse(args[1]), options);
        await member.CreateSchemaAsync();
        await other.CreateSchemaAsync();

        Console.WriteLine("| contacts | full resync (read + compare): s | its CPU in this process: s | digests of both members (in parallel): s | their CPU here: s |");
        Console.WriteLine("|---:|---:|---:|---:|---:|");
        var filled = 0;
        var snapshot = new List<ContactBinding>();
        foreach (var size in sizes)
        {
            var added = Enumerable.Range(filled, size - filled).Select(Contact).ToList();
            // The same rows every run: tables filled by an earlier run are used as they are.
            if (await member.CountAsync() < size || await other.CountAsync() < size)
            {
                foreach (var chunk in added.Chunk(5_000))
                {
                    await member.UpsertAsync(chunk);
                    await other.UpsertAsync(chunk);
                }
            }

            snapshot.AddRange(added);
            filled = size;
            var (full, fullCpu, digests, digestsCpu) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
            var process = Process.GetCurrentProcess();
            for (var repeat = 0; repeat < 3; repeat++)
            {
                var (clock, cpu) = (Stopwatch.StartNew(), process.TotalProcessorTime);
                if (await member.ReconcileAsync(snapshot) != (0, 0))
                    throw new InvalidOperationException("the member differs from the snapshot");
                process.Refresh();
                (full, fullCpu) = (full.Append(clock.Elapsed.TotalSeconds).ToList(), fullCpu.Append((process.TotalProcessorTime - cpu).TotalSeconds).ToList());
                (clock, cpu) = (Stopwatch.StartNew(), process.TotalProcessorTime);
                var both = await Task.WhenAll(member.DigestAsync(), other.DigestAsync());
                if (both[0] != both[1])
                    throw new InvalidOperationException("the members' digests differ");
                process.Refresh();
                (digests, digestsCpu) = (digests.Append(clock.Elapsed.TotalSeconds).ToList(), digestsCpu.Append((process.TotalProcessorTime - cpu).TotalSeconds).ToList());
            }

            Console.WriteLine($"| {size:N0} | {Median(full):N2} | {Median(fullCpu):N2} | {Median(digests):N2} | {Median(digestsCpu):N3} |");
        }

        return 0;
    }

    private static ContactBinding Contact(int i) => new(
        Ruid: $"uloc-bench-{i}", Username: $"49{i:D9}", Domain: null, Contact: $"sip:49{i:D9}@192.0.2.{i % 250 + 1}:{5060 + i % 1000};transport=udp",
        Received: null, Path: null, Expires: 1_900_000_000, Q: QValue.Unspecified, CallId: $"call-{i}", CSeq: 1,
        LastModified: 1_767_225_600, Flags: 0, CFlags: 0, UserAgent: "bench-phone/1.0", Socket: null, Methods: null, Instance: null, RegId: 0);

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
