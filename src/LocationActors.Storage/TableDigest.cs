namespace LocationActors.Storage;

/// <summary>A location table's content in two numbers, computed by its server (<see cref="LocationDatabase.DigestAsync"/>).</summary>
/// <param name="Rows">How many rows it holds.</param>
/// <param name="Checksum">Aggregates of every row's CRC32 over all its columns but the id.</param>
public sealed record TableDigest(long Rows, decimal Checksum);
