using LocationActors.Domain.Aors;
using LocationActors.Domain.Partitioning;
using LocationActors.TestSupport;

namespace LocationActors.Domain.Tests;

[Trait(Tier.Name, Tier.Unit)]
public class PartitionerTests
{
    // spec §2 "Worked examples": CRC-32 and group for N = 2, 3, 4, 10 (N=2 confirmed against a live Kamailio).
    [Theory]
    [InlineData("alice", 663665735u, 2, 3, 4, 6)]
    [InlineData("1000", 3022496535u, 2, 1, 4, 6)]
    [InlineData("49301234567", 952908043u, 2, 2, 4, 4)]
    [InlineData("bob", 4123767104u, 1, 3, 1, 5)]
    [InlineData("alice@example.com", 2583554601u, 2, 1, 2, 2)]
    [InlineData("1000@example.com", 1054728136u, 1, 2, 1, 7)]
    [InlineData("49301234567@example.com", 1125438392u, 1, 3, 1, 3)]
    public void Groups_match_p_usrloc(string key, uint crc, int n2, int n3, int n4, int n10)
    {
        Assert.Equal(crc, Partitioner.Crc32Of(key));
        Assert.Equal(n2, Partitioner.GroupOf(key, 2));
        Assert.Equal(n3, Partitioner.GroupOf(key, 3));
        Assert.Equal(n4, Partitioner.GroupOf(key, 4));
        Assert.Equal(n10, Partitioner.GroupOf(key, 10));
    }

    [Fact]
    public void An_aor_is_hashed_by_its_partition_key()
    {
        var registered = AorNormalizer.Normalize("sip:ALICE@Example.com", new RegistrarOptions(UseDomain: true));
        Assert.Equal(2, Partitioner.GroupOf(registered, 2));
        Assert.Equal(2, Partitioner.GroupOf(AorNormalizer.Normalize("sip:Alice@example.com", RegistrarOptions.Default), 2));
    }

    [Fact]
    public void One_group_takes_everyone()
    {
        Assert.Equal(1, Partitioner.GroupOf("alice", 1));
        Assert.Equal(1, Partitioner.GroupOf("bob", 1));
    }

    [Fact]
    public void Every_group_gets_users()
    {
        var counts = new int[11];
        for (var i = 0; i < 10_000; i++)
            counts[Partitioner.GroupOf("4930" + i, 10)]++;

        Assert.Equal(0, counts[0]);
        Assert.All(counts.Skip(1), c => Assert.InRange(c, 800, 1200));
    }

    [Theory]
    [InlineData("m\u00fcller")]
    [InlineData("\u00e9")]
    [InlineData("alice\u4e2d")]
    public void Non_ascii_keys_are_refused(string key)
    {
        var error = Assert.Throws<InvalidPartitionKeyException>(() => Partitioner.GroupOf(key, 2));
        Assert.Contains("not ASCII", error.Message);
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<InvalidPartitionKeyException>(() => Partitioner.GroupOf("", 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Partitioner.GroupOf("alice", 0));
    }

    [Fact]
    public void Long_keys_are_hashed_like_short_ones()
    {
        Assert.Equal(2819833401u, Partitioner.Crc32Of(new string('a', 2000))); // zlib.crc32(b"a" * 2000)
    }
}
