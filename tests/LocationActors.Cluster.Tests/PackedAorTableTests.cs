using LocationActors.Cluster.LocationGroups;
using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

/// <summary>
/// The table of packed AORs behaves as a map of keys to bytes whatever is set and removed, gives dead space back, and
/// pages in an order that does not depend on the table's history.
/// </summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class PackedAorTableTests
{
    // Keys as they come: numbers, AORs with a domain, non-ASCII, a lone surrogate (UTF-8 cannot carry it), a long one.
    private static string KeyFor(Random random, int n) => (n % 7) switch
    {
        0 => $"49{n:D9}",
        1 => $"user{n}@example.com",
        2 => $"müller{n}@bücher.example",
        3 => $"x{n}\uD800",
        4 => new string('k', 300) + n,
        _ => $"u{n}@d{random.Next(3)}.example",
    };

    private static byte[] ValueFor(Random random) =>
        Enumerable.Range(0, random.Next(100) == 0 ? random.Next(1_000, 9_000) : random.Next(0, 400)).Select(_ => (byte)random.Next(256)).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Whatever_is_set_and_removed_the_table_holds_exactly_what_a_dictionary_would(int seed)
    {
        var random = new Random(seed);
        var table = new PackedAorTable();
        var model = new Dictionary<string, (byte[] Value, int Count, long Expiry)>(StringComparer.Ordinal);
        var keys = Enumerable.Range(0, 3_000).Select(n => KeyFor(random, n)).Distinct().ToArray();

        for (var op = 0; op < 60_000; op++)
        {
            var key = keys[random.Next(keys.Length)];
            var had = model.TryGetValue(key, out var before) ? before.Count : 0;
            if (random.Next(4) == 0)
            {
                model.Remove(key);
                Assert.Equal(had, table.Remove(key));
            }
            else
            {
                var value = ValueFor(random);
                var (count, expiry) = (random.Next(1, 5), random.NextInt64());
                Assert.Equal(had, table.Set(key, value, count, expiry));
                model[key] = (value, count, expiry);
            }

            Assert.Equal(model.Count, table.Count);
        }

        foreach (var key in keys)
        {
            Assert.Equal(model.TryGetValue(key, out var expected), table.TryGet(key, out var packed, out var info));
            if (model.ContainsKey(key))
            {
                Assert.Equal(expected.Value, packed.ToArray());
                Assert.Equal((GroupContacts.StableHash(key), expected.Count, expected.Expiry), (info.Hash, info.Count, info.NextExpiry));
            }
        }

        Assert.Equal(model.Keys.Order(StringComparer.Ordinal), table.Keys(_ => true).Order(StringComparer.Ordinal));
        // Dead records are given back: what the arena holds stays within twice the live records and two chunks.
        var live = model.Sum(p => 12 + System.Text.Encoding.UTF8.GetByteCount(p.Key) * 2 + p.Value.Value.Length);
        Assert.InRange(table.ArenaBytes, 0, 2L * live + 2L * PackedAorTable.ChunkSize);
    }

    [Fact]
    public void Overwriting_every_AOR_many_times_keeps_the_arena_near_its_live_size()
    {
        var table = new PackedAorTable();
        var value = new byte[200];
        for (var round = 0; round < 30; round++)
        {
            for (var n = 0; n < 20_000; n++)
            {
                value[0] = (byte)round;
                table.Set($"49{n:D9}", value, 1, round);
            }
        }

        // 20,000 records of 12 + 11 + 200 bytes: 4.5 MB, 5 chunks; half-dead chunks are compacted, so at most about twice.
        Assert.InRange(table.ArenaBytes, 5L * PackedAorTable.ChunkSize, 11L * PackedAorTable.ChunkSize);
        for (var n = 0; n < 20_000; n++)
        {
            Assert.True(table.TryGet($"49{n:D9}", out var packed, out var info));
            Assert.Equal(29, packed[0]);
            Assert.Equal(29, info.NextExpiry);
        }
    }

    [Fact]
    public void Pages_in_the_same_order_whatever_the_tables_history_so_a_dump_continues_on_another_table()
    {
        var random = new Random(7);
        var keys = Enumerable.Range(0, 5_000).Select(n => KeyFor(random, n)).Distinct().ToList();
        var first = new PackedAorTable();
        foreach (var key in keys)
            first.Set(key, [1], 1, 0);
        // The other table saw the keys in another order, and others that are gone: its buckets and arena differ.
        var second = new PackedAorTable();
        foreach (var key in keys.OrderBy(_ => random.Next()))
        {
            second.Set(key + "-gone", [2], 1, 0);
            second.Set(key, [1, 2, 3], 1, 0);
        }

        foreach (var key in keys)
            second.Remove(key + "-gone");

        // Half a dump from the first table, the rest from the second: every key once, in one order.
        var seen = new List<string>();
        string? after = null;
        for (var page = 0; ; page++)
        {
            var keysOfPage = (page < 20 ? first : second).KeysAfter(after, 101);
            seen.AddRange(keysOfPage.Take(100));
            if (keysOfPage.Count <= 100)
                break;
            after = keysOfPage[99];
        }

        Assert.Equal(keys.Count, seen.Count);
        Assert.Equal(keys.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        Assert.Equal(seen, second.KeysAfter(null, int.MaxValue));
        Assert.Empty(first.KeysAfter(seen[^1], 10));
    }

    [Fact]
    public void A_snapshot_keeps_what_the_table_held_when_it_was_taken_whatever_changes_after()
    {
        var table = new PackedAorTable();
        for (var n = 0; n < 20_000; n++)
            table.Set($"49{n:D9}", [(byte)n, 1], 1, 0);
        var snapshot = table.Snapshot();

        // Every AOR written again and again (its chunks compacted and given back), half of them removed, then all.
        for (var round = 0; round < 10; round++)
        {
            for (var n = 0; n < 20_000; n++)
                table.Set($"49{n:D9}", new byte[200], 1, round);
        }

        for (var n = 0; n < 20_000; n += 2)
            table.Remove($"49{n:D9}");
        table.Clear();

        Assert.Equal(20_000, snapshot.Count);
        var seen = Enumerable.Range(0, snapshot.Count).Select(i => (Key: snapshot.KeyAt(i), Value: snapshot.PackedAt(i).ToArray())).ToList();
        Assert.Equal(Enumerable.Range(0, 20_000).Select(n => $"49{n:D9}").Order(StringComparer.Ordinal), seen.Select(s => s.Key).Order(StringComparer.Ordinal));
        Assert.All(seen, s => Assert.Equal(new[] { (byte)int.Parse(s.Key[2..]), (byte)1 }, s.Value));
    }

    [Fact]
    public void A_change_while_its_keys_are_enumerated_is_refused()
    {
        var table = new PackedAorTable();
        table.Set("ann", [1], 1, 0);
        table.Set("bob", [1], 1, 0);
        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var key in table.Keys(_ => true))
                table.Set(key + "2", [1], 1, 0);
        });
    }
}
