using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Partitioning;
using LocationActors.Domain.Registrations;
using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

/// <summary>Which messages and AORs a group owns; no actor, no database.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class GroupPartitionTests
{
    private static LookupContacts Lookup(string user, int group = 1, string table = "location") =>
        new(group, 1, Aor.FromNormalized(user, RegistrarOptions.Default), Table: table);

    [Fact]
    public void The_first_layouts_group_count_stays()
    {
        var partition = new GroupPartition(1, "location");

        Assert.True(partition.Fix(2));
        Assert.False(partition.Fix(3));
        Assert.Equal(2, partition.GroupCount);
    }

    [Fact]
    public void A_group_owns_the_aors_p_usrlocs_hash_gives_it_and_refuses_the_others_by_name()
    {
        var partition = new GroupPartition(1, "location");
        partition.Fix(2);
        var users = Enumerable.Range(0, 50).Select(i => $"user{i}").ToList();
        var mine = users.Where(u => Partitioner.GroupOf(u, 2) == 1).ToList();
        var other = users.Except(mine).First();

        Assert.All(mine, u => Assert.True(partition.IsForMe(Lookup(u))));
        Assert.False(partition.IsForMe(Lookup(other)));
        Assert.Contains($"AOR {other} does not belong to group 1 of 2", partition.Misrouted(Lookup(other)).Reason);
        Assert.False(partition.IsMine(Lookup(mine[0], table: "cfa")));
        Assert.Contains("request for location group 2 reached location group 1", partition.Misrouted(Lookup(mine[0], group: 2)).Reason);
        Assert.False(partition.Owns("ünïcode")); // no group can hold a key p_usrloc cannot hash
    }

    [Fact]
    public void A_single_domains_group_owns_every_aor()
    {
        var partition = new GroupPartition(UsrlocDomain.SingleGroupId, "cfa");
        partition.Fix(1);

        Assert.True(partition.Owns("anyone"));
        Assert.True(partition.Owns("ünïcode"));
    }
}
