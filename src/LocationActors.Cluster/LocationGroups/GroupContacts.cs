using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>
/// A location group's contacts in memory: the bindings of each AOR for lookups by key, and the AOR keys in ordinal
/// order so a dump can page through millions of them without sorting.
/// </summary>
public sealed class GroupContacts
{
    private readonly Dictionary<string, AorBindings> _byAor = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _keys = new(StringComparer.Ordinal);

    public int AorCount => _byAor.Count;

    public long BindingCount { get; private set; }

    /// <summary>The key of a stored row: the AOR as p_usrloc builds it from the username and domain columns.</summary>
    public static string KeyOf(ContactBinding binding) => binding.Domain is null ? binding.Username : $"{binding.Username}@{binding.Domain}";

    public AorBindings Get(Aor aor) => Get(aor.Value);

    public AorBindings Get(string key) => _byAor.GetValueOrDefault(key) ?? AorBindings.Empty;

    public void Set(string key, AorBindings bindings)
    {
        BindingCount -= Get(key).Count;
        if (bindings.Count == 0)
        {
            _byAor.Remove(key);
            _keys.Remove(key);
            return;
        }

        _byAor[key] = bindings;
        _keys.Add(key);
        BindingCount += bindings.Count;
    }

    /// <summary>Adds a row read from a member database (warm-up), after the AOR's rows read before it.</summary>
    public void Load(ContactBinding binding)
    {
        var key = KeyOf(binding);
        Set(key, Get(key).Put(binding));
    }

    /// <summary>Removes every binding that expired at <paramref name="now"/>; returns their ruids.</summary>
    public List<string> RemoveExpired(long now)
    {
        var expired = new List<string>();
        foreach (var (key, bindings) in _byAor.Where(p => p.Value.Any(b => !b.IsValidAt(now))).ToList())
        {
            var kept = bindings;
            foreach (var binding in bindings.Where(b => !b.IsValidAt(now)))
            {
                kept = kept.Remove(binding.Ruid);
                expired.Add(binding.Ruid);
            }

            Set(key, kept);
        }

        return expired;
    }

    /// <summary>Every binding held, AOR after AOR.</summary>
    public IEnumerable<ContactBinding> All() => _byAor.Values.SelectMany(b => b);

    /// <summary>Up to <paramref name="pageSize"/> AORs after <paramref name="after"/>, and the key to continue from.</summary>
    public (IReadOnlyList<ContactBinding> Bindings, string? Next) Page(string? after, int pageSize)
    {
        var view = after is null || _keys.Count == 0
            ? _keys
            : string.CompareOrdinal(after, _keys.Max) >= 0 ? [] : _keys.GetViewBetween(after, _keys.Max!);
        var keys = view.Where(k => after is null || string.CompareOrdinal(k, after) > 0).Take(pageSize + 1).ToList();
        var page = keys.Take(pageSize).SelectMany(k => _byAor[k]).ToList();
        return (page, keys.Count > pageSize ? keys[pageSize - 1] : null);
    }

    public void Clear()
    {
        _byAor.Clear();
        _keys.Clear();
        BindingCount = 0;
    }
}
