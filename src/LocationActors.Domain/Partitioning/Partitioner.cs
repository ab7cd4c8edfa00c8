using System.IO.Hashing;
using LocationActors.Domain.Aors;

namespace LocationActors.Domain.Partitioning;

/// <summary>
/// p_usrloc's mapping of a user to a location group (<c>ul_db_handle.c:compute_id</c>):
/// <c>group = CRC32(key) mod N + 1</c>, the standard reflected CRC-32 (zlib's), unsigned arithmetic.
/// </summary>
/// <remarks>
/// Kamailio indexes its CRC table with a signed <c>char</c>, so for bytes ≥ 0x80 its result reads memory before the
/// table and cannot be reproduced. Such keys are rejected here rather than silently sent to a group Kamailio would
/// not choose. The registrar never produces them from an escaped user part (its <c>un_escape</c> refuses non-ASCII).
/// </remarks>
public static class Partitioner
{
    /// <summary>The location group (1..<paramref name="groupCount"/>) that holds <paramref name="aor"/>.</summary>
    public static int GroupOf(Aor aor, int groupCount) => GroupOf(aor.PartitionKey, groupCount);

    /// <summary>The location group (1..<paramref name="groupCount"/>) for a raw partition key.</summary>
    /// <exception cref="InvalidPartitionKeyException">The key is empty or holds a character outside ASCII.</exception>
    public static int GroupOf(string key, int groupCount)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(groupCount, 1);
        return (int)(Crc32Of(key) % (uint)groupCount) + 1;
    }

    /// <summary>The CRC-32 p_usrloc computes over the key's bytes.</summary>
    public static uint Crc32Of(string key)
    {
        if (key.Length == 0)
            throw new InvalidPartitionKeyException(key, "the key is empty");

        Span<byte> buffer = key.Length <= 512 ? stackalloc byte[key.Length] : new byte[key.Length];
        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (c > 0x7F)
                throw new InvalidPartitionKeyException(key,
                    $"character {i + 1} (U+{(int)c:X4}) is not ASCII; Kamailio's CRC-32 is undefined for such bytes");
            buffer[i] = (byte)c;
        }

        return Crc32.HashToUInt32(buffer);
    }
}

/// <summary>A partition key p_usrloc could not hash reproducibly.</summary>
public sealed class InvalidPartitionKeyException(string key, string reason)
    : ArgumentException($"cannot partition '{key}': {reason}")
{
    public string Key { get; } = key;
}
