using System.Collections;
using System.Collections.Immutable;
using LocationActors.Domain.Contacts;

namespace LocationActors.Domain.Registrations;

/// <summary>
/// The bindings of one AOR in write order, oldest first — the order of their rows in a p_usrloc table, where every
/// REPLACE moves a row to the end. Immutable: a REGISTER produces a new value, so a group actor can hold it safely.
/// </summary>
public sealed class AorBindings : IReadOnlyList<ContactBinding>
{
    private readonly ImmutableList<ContactBinding> _bindings;

    private AorBindings(ImmutableList<ContactBinding> bindings) => _bindings = bindings;

    public static AorBindings Empty { get; } = new(ImmutableList<ContactBinding>.Empty);

    /// <summary>Bindings as rows come back from a table ordered by row id (oldest write first).</summary>
    public static AorBindings FromWriteOrder(IEnumerable<ContactBinding> bindings) => new(bindings.ToImmutableList());

    public int Count => _bindings.Count;

    public ContactBinding this[int index] => _bindings[index];

    /// <summary>Adds a binding, or replaces the one with its ruid; either way it becomes the newest.</summary>
    public AorBindings Put(ContactBinding binding)
    {
        var index = _bindings.FindIndex(b => b.Ruid == binding.Ruid);
        return new AorBindings((index < 0 ? _bindings : _bindings.RemoveAt(index)).Add(binding));
    }

    public AorBindings Remove(string ruid)
    {
        var index = _bindings.FindIndex(b => b.Ruid == ruid);
        return index < 0 ? this : new AorBindings(_bindings.RemoveAt(index));
    }

    /// <summary>
    /// The valid contacts in Kamailio's list order: q descending, unspecified q last, ties in write order (the
    /// stable sort keeps it). With <paramref name="methodBit"/> only contacts that allow the method (NULL = all).
    /// </summary>
    public IReadOnlyList<ContactBinding> Lookup(long now, uint? methodBit = null) =>
        _bindings.Where(b => b.IsValidAt(now) && (methodBit is null || b.Methods is null || (b.Methods.Value & methodBit.Value) != 0))
            .OrderByDescending(b => b.Q)
            .ToList();

    public IEnumerator<ContactBinding> GetEnumerator() => _bindings.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
