using System.Globalization;
using System.Security.Cryptography;

namespace LocationActors.Domain.Contacts;

/// <summary>
/// Makes record-unique ids in the shape Kamailio's registrar uses (<c>uloc-&lt;hex time&gt;-&lt;hex id&gt;-&lt;counter&gt;</c>),
/// so ruids from both systems look alike in one table. Kamailio's middle part is the process id, unique on one host;
/// here several nodes on several hosts write the same tables, so it is a random 32-bit instance id drawn at start.
/// </summary>
public sealed class RuidGenerator
{
    private readonly string _prefix;
    private long _counter;

    public RuidGenerator()
        : this(DateTimeOffset.UtcNow.ToUnixTimeSeconds(), (uint)RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue))
    {
    }

    /// <summary>A generator with a fixed start time and instance id (tests, or an operator-assigned server id).</summary>
    public RuidGenerator(long startTime, uint instanceId) =>
        _prefix = string.Create(CultureInfo.InvariantCulture, $"uloc-{startTime:x}-{instanceId:x}-");

    /// <summary>A new ruid; thread-safe. At most 5+8+1+8+1+16 = 39 characters, well inside the 64 of the column.</summary>
    public string Next() =>
        string.Concat(_prefix, Interlocked.Increment(ref _counter).ToString("x", CultureInfo.InvariantCulture));
}
