using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>
/// A group's warm-up while it already serves: the rows streamed from a member (in row-id order, so an AOR is complete
/// only when the whole table has been read) kept apart from the AORs the group has read or written meanwhile. Those
/// are <em>settled</em>: memory has their whole state, so requests for them are answered from memory, and the loaded
/// rows of a settled AOR are dropped (they are older). Any other AOR is read from a member until the load completes.
/// When it does, the loaded rows and the settled AORs together are the group's contacts.
/// </summary>
public sealed class ContactsLoad
{
    private readonly HashSet<string> _settled = new(StringComparer.Ordinal);
    private GroupContacts _loaded = new();

    /// <summary>Rows of the member's table that belong to another group (hashed elsewhere): ignored, counted for the log.</summary>
    public int ForeignRows { get; private set; }

    /// <summary>Bindings loaded so far (settled AORs not counted).</summary>
    public long LoadedBindings => _loaded.BindingCount;

    public int SettledCount => _settled.Count;

    /// <summary>Whether memory holds this AOR's whole state (it was read or written since the load began).</summary>
    public bool IsSettled(string key) => _settled.Contains(key);

    /// <summary>The AOR's rows were read from a member (or changed by the group): memory has its whole state from now on.</summary>
    public void Settle(string key)
    {
        if (_settled.Add(key))
            _loaded.Set(key, AorBindings.Empty);
    }

    /// <summary>Takes a page of streamed rows: those of settled AORs and of other groups are left out.</summary>
    public void Load(IEnumerable<ContactBinding> page, Func<string, bool> owns)
    {
        foreach (var binding in page)
        {
            var key = GroupContacts.KeyOf(binding);
            if (!owns(key))
                ForeignRows++;
            else if (!_settled.Contains(key))
                _loaded.Load(binding);
        }
    }

    /// <summary>The load starts again (from another member): what was loaded goes, what is settled stays.</summary>
    public void Restart()
    {
        _loaded = new GroupContacts();
        ForeignRows = 0;
    }

    /// <summary>
    /// The whole table was read: the group's contacts are the loaded rows with the settled AORs' state from
    /// <paramref name="served"/> (what the group answered from while loading) put over them.
    /// </summary>
    public GroupContacts Complete(GroupContacts served)
    {
        foreach (var key in _settled)
            _loaded.Set(key, served.Get(key));
        var complete = _loaded;
        _loaded = new GroupContacts();
        _settled.Clear();
        return complete;
    }
}
