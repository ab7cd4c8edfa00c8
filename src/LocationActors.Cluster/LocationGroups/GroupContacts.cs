using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>
/// A location group's contacts in memory: the bindings of each AOR for lookups by key, packed (<see cref="PackedBindings"/>)
/// into a table of a few large arrays and no object per AOR (<see cref="PackedAorTable"/>), with the soonest expiry
/// beside them, so the expiry sweep skips AORs without unpacking them; a dump pages through them in an order every
/// process agrees on.
/// </summary>
public sealed class GroupContacts
{
    private readonly PackedAorTable _table = new();
    private PackedBindings _packing = new(new SharedStrings());

    public int AorCount => _table.Count;

    public long BindingCount { get; private set; }

    /// <summary>The key of a stored row: the AOR as p_usrloc builds it from the username and domain columns.</summary>
    public static string KeyOf(ContactBinding binding) => binding.Domain is null ? binding.Username : $"{binding.Username}@{binding.Domain}";

    public AorBindings Get(Aor aor) => Get(aor.Value);

    public AorBindings Get(string key) => _table.TryGet(key, out var packed, out _) ? _packing.Unpack(key, packed) : AorBindings.Empty;

    public void Set(string key, AorBindings bindings)
    {
        if (bindings.Count == 0)
        {
            BindingCount -= _table.Remove(key);
            return;
        }

        var nextExpiry = long.MaxValue;
        foreach (var binding in bindings)
        {
            if (!binding.IsPermanent)
                nextExpiry = Math.Min(nextExpiry, binding.Expires);
        }

        // A username equal to the key is not packed again: the key is its only copy.
        BindingCount += bindings.Count - _table.Set(key, _packing.Pack(key, bindings), bindings.Count, nextExpiry);
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
        foreach (var key in _table.Keys(info => info.NextExpiry <= now).ToList())
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
    public IEnumerable<string> KeysInSlot(int slot, int slots) => _table.Keys(info => info.Hash % (uint)slots == (uint)slot);

    /// <summary>XxHash32 of the key's UTF-8 (string.GetHashCode differs from process to process); no allocation for a usual key.</summary>
    public static uint StableHash(string key)
    {
        var length = System.Text.Encoding.UTF8.GetMaxByteCount(key.Length);
        Span<byte> bytes = length <= 1024 ? stackalloc byte[length] : new byte[length];
        return System.IO.Hashing.XxHash32.HashToUInt32(bytes[..System.Text.Encoding.UTF8.GetBytes(key, bytes)]);
    }

    /// <summary>
    /// Every binding held now, for another actor to read while this store goes on changing (a member's resync): the
    /// positions of the packed AORs, nothing unpacked until it is read.
    /// </summary>
    public ContactsSnapshot Snapshot() => new(_table.Snapshot(), new PackedBindings(_packing.SharedValues.Frozen()), (int)BindingCount);

    /// <summary>Every binding held, AOR after AOR.</summary>
    public IEnumerable<ContactBinding> All() => _table.Keys(_ => true).ToList().SelectMany(Get);

    /// <summary>Up to <paramref name="pageSize"/> AORs after <paramref name="after"/>, and the key to continue from.</summary>
    public (IReadOnlyList<ContactBinding> Bindings, string? Next) Page(string? after, int pageSize)
    {
        var keys = _table.KeysAfter(after, pageSize + 1);
        var page = keys.Take(pageSize).SelectMany(Get).ToList();
        return (page, keys.Count > pageSize ? keys[pageSize - 1] : null);
    }

    public void Clear()
    {
        _table.Clear();
        BindingCount = 0;
        // Values shared by contacts that are gone need not be kept.
        _packing = new PackedBindings(new SharedStrings());
    }
}

/// <summary>
/// A group's bindings as they were when the snapshot was taken (<see cref="GroupContacts.Snapshot"/>), unpacked AOR by
/// AOR as they are read: a resync of a member after a group started holds a few bytes per AOR, not every contact as
/// objects (a dozen per contact, gigabytes at millions of contacts, and gen-2 pauses of seconds).
/// </summary>
public sealed class ContactsSnapshot(PackedAorSnapshot aors, PackedBindings packing, int count) : IReadOnlyCollection<ContactBinding>
{
    /// <summary>Bindings in the snapshot.</summary>
    public int Count => count;

    public IEnumerator<ContactBinding> GetEnumerator()
    {
        for (var i = 0; i < aors.Count; i++)
        {
            foreach (var binding in packing.Unpack(aors.KeyAt(i), aors.PackedAt(i)))
                yield return binding;
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
