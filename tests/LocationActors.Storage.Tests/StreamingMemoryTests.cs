using LocationActors.Domain.Contacts;
using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Storage.Tests;

/// <summary>Tests that measure the whole process's heap, so nothing else may run beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialMariaDbCollection : ICollectionFixture<MariaDbServers>
{
    public const string Name = "MariaDB, alone";
}

[Collection(SerialMariaDbCollection.Name)]
[Trait(Tier.Name, Tier.Db)]
public sealed class StreamingMemoryTests(MariaDbServers servers) : IDisposable
{
    private readonly SqliteFolder _folder = new();

    private static ContactBinding Binding(string user, int n) => BindingFields.Sample(user, n);

    [Fact]
    public async Task Streaming_100000_rows_from_mariadb_keeps_memory_bounded()
    {
        await using var db = new LocationDatabase(await servers.CreateDatabaseAsync());
        await db.CreateSchemaAsync();
        await StreamsWithBoundedMemoryAsync(db);
    }

    [Fact]
    public async Task Streaming_100000_rows_from_sqlite_keeps_memory_bounded()
    {
        await using var db = new LocationDatabase(_folder.NewDatabase());
        await db.CreateSchemaAsync();
        await StreamsWithBoundedMemoryAsync(db);
    }

    private static async Task StreamsWithBoundedMemoryAsync(LocationDatabase db)
    {
        const int total = 100_000;
        for (var start = 0; start < total; start += 10_000)
            await db.UpsertAsync(Enumerable.Range(start, 10_000).Select(i => Binding("s" + i, i)).ToList());

        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0, count = 0, checksum = 0;
        await foreach (var binding in db.StreamAllAsync())
        {
            count++;
            checksum += binding.CSeq;
            if (count % 10_000 == 0)
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
        }

        Assert.Equal(total, count);
        Assert.Equal((long)total * (total + 1) / 2, checksum); // every row exactly once (CSeq = n + 1)
        // Holding all rows would take well over 50 MB (measured: ~600 bytes a binding); a page of 5,000 takes ~3 MB.
        Assert.True(peak < 20_000_000, $"streaming held {peak:N0} bytes");
    }

    public void Dispose() => _folder.Dispose();
}
