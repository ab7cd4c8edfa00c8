using BenchmarkDotNet.Attributes;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Partitioning;

namespace LocationActors.Benchmarks;

/// <summary>
/// AOR → group, which the proxy computes for every request and the group again to check that a request is its own
/// (and for every row it loads). Keys cycle through 1,024 users so the branch predictor cannot learn one key.
/// </summary>
[MemoryDiagnoser]
public class PartitionBenchmarks
{
    private const int Keys = 1024;
    private readonly Aor[] _aors = Enumerable.Range(0, Keys).Select(Samples.AorOf).ToArray();
    private readonly Aor[] _domainAors = Enumerable.Range(0, Keys).Select(n => Aor.FromColumns(Samples.User(n), "sip.example.com")).ToArray();
    private readonly string[] _uris = Enumerable.Range(0, Keys).Select(n => $"sip:{Samples.User(n)}@sip.example.com").ToArray();
    private int _next;

    /// <summary>CRC-32 of a 10-character AOR (Kamailio's default: no domain), mod N.</summary>
    [Benchmark]
    public int GroupOf() => Partitioner.GroupOf(_aors[_next++ & (Keys - 1)], 16);

    /// <summary>The same for a use_domain AOR (<c>user@domain</c>, 26 characters).</summary>
    [Benchmark]
    public int GroupOfWithDomain() => Partitioner.GroupOf(_domainAors[_next++ & (Keys - 1)], 16);

    /// <summary>What the proxy does per request: the AOR from the URI (normalised as Kamailio's registrar does), then its group.</summary>
    [Benchmark]
    public int NormalizeAndGroupOf() => Partitioner.GroupOf(AorNormalizer.Normalize(_uris[_next++ & (Keys - 1)], RegistrarOptions.Default), 16);
}
