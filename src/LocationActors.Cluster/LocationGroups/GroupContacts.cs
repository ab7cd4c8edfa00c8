using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>
/// A location group's contacts in memory: the bindings of each AOR for lookups by key, packed into one byte array per
/// AOR (<see cref="PackedBindings"/>) with the soonest expiry beside it, so the expiry sweep skips AORs without
/// unpacking them; and the AOR keys in ordinal order so a dump can page through millions of them without sorting.
/// </summary>
public sealed class GroupContacts
{
    /// <summary>
    /// An AOR's bindings as stored: packed, how many, the soonest expiry of a non-permanent one, and a hash of the key
    /// that is the same in every process (the keepalive second of the AOR's contacts: <see cref="KeysInSlot"/>).
    /// </summary>
    private readonly record struct Stored(byte[] Packed, int Count, long NextExpiry, uint KeyHash);

    private readonly Dictionary<string, Stored> _byAor = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _keys = new(StringComparer.Ordinal);
    private PackedBindings _packing = new(new SharedStrings());

    public int AorCount => _byAor.Count;

    public long BindingCount { get; private set; }

    /// <summary>The key of a stored row: the AOR as p_usrloc builds it from the username and domain columns.</summary>
    public static string KeyOf(ContactBinding binding) => binding.Domain is null ? binding.Username : $"{binding.Username}@{binding.Domain}";

    public AorBindings Get(Aor aor) => Get(aor.Value);

    public AorBindings Get(string key) => _byAor.TryGetValue(key, out var stored) ? _packing.Unpack(key, stored.Packed) : AorBindings.Empty;

    public void Set(string key, AorBindings bindings)
    {
        var known = _byAor.TryGetValue(key, out var old);
        if (known)
            BindingCount -= old.Count;
        if (bindings.Count == 0)
        {
            _byAor.Remove(key);
            _keys.Remove(key);
            return;
        }

        var nextExpiry = long.MaxValue;
        foreach (var binding in bindings)
        {
            if (!binding.IsPermanent)
                nextExpiry = Math.Min(nextExpiry, binding.Expires);
        }

        // A username equal to the key is not packed again: the key is its only copy.
        _byAor[key] = new Stored(_packing.Pack(key, bindings), bindings.Count, nextExpiry, known ? old.KeyHash : StableHash(key));
        _keys.Add(key);
        BindingCount += bindings.Count;
    }

    /// <summary>Adds a row read from a member database (warm-up), after the AOR's rows read before it.</summary>
    public void Load(ContactBinding binding)
    {
        var key = KeyOf(binding);
        Set(key, Get(key).Put(binding));
    }

    /// <summary>Removes every binding that expired at <paramref name="now"/>; returns them.</summary>
    public List<ContactBinding> RemoveExpired(long now)
    {
        var expired = new List<ContactBinding>();
        foreach (var key in _byAor.Where(p => p.Value.NextExpiry <= now).Select(p => p.Key).ToList())
        {
            var kept = Get(key);
            foreach (var binding in kept.Where(b => !b.IsValidAt(now)).ToList())
            {
                kept = kept.Remove(binding.Ruid);
                expired.Add(binding);
            }

            Set(key, kept);
        }

        return expired;
    }

    /// <summary>
    /// The AORs whose key hashes to <paramref name="slot"/> of <paramref name="slots"/>: a stable hash, so a group that
    /// moves to another node pings each AOR in the same second of the interval as before.
    /// </summary>
    public IEnumerable<string> KeysInSlot(int slot, int slots)
    {
        foreach (var (key, stored) in _byAor)
        {
            if (stored.KeyHash % (uint)slots == (uint)slot)
                yield return key;
        }
    }

    /// <summary>XxHash32 of the key's UTF-8 (string.GetHashCode differs from process to process); no allocation for a usual key.</summary>
    public static uint StableHash(string key)
    {
        var length = System.Text.Encoding.UTF8.GetMaxByteCount(key.Length);
        Span<byte> bytes = length <= 1024 ? stackalloc byte[length] : new byte[length];
        return System.IO.Hashing.XxHash32.HashToUInt32(bytes[..System.Text.Encoding.UTF8.GetBytes(key, bytes)]);
    }

    /// <summary>Every binding held, AOR after AOR.</summary>
    public IEnumerable<ContactBinding> All() => _byAor.SelectMany(p => _packing.Unpack(p.Key, p.Value.Packed));

    /// <summary>Up to <paramref name="pageSize"/> AORs after <paramref name="after"/>, and the key to continue from.</summary>
    public (IReadOnlyList<ContactBinding> Bindings, string? Next) Page(string? after, int pageSize)
    {
        var view = after is null || _keys.Count == 0
            ? _keys
            : string.CompareOrdinal(after, _keys.Max) >= 0 ? [] : _keys.GetViewBetween(after, _keys.Max!);
        var keys = view.Where(k => after is null || string.CompareOrdinal(k, after) > 0).Take(pageSize + 1).ToList();
        var page = keys.Take(pageSize).SelectMany(Get).ToList();
        return (page, keys.Count > pageSize ? keys[pageSize - 1] : null);
    }

    public void Clear()
    {
        _byAor.Clear();
        _keys.Clear();
        BindingCount = 0;
        // Values shared by contacts that are gone need not be kept.
        _packing = new PackedBindings(new SharedStrings());
    }
}
