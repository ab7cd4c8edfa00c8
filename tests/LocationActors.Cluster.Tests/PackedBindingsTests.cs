using CsCheck;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;
using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

/// <summary>The packed form of an AOR's bindings gives back exactly what was packed, and a group's store behaves as a map of AORs.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class PackedBindingsTests
{
    // Any UTF-16 text, lone surrogates included (a JSON escape can make one), or a few repeating values.
    private static readonly Gen<string> Text = Gen.OneOf(Gen.String[Gen.Char, 0, 40], Gen.OneOf("", "a", "sip:x@192.0.2.1", "udp:203.0.113.10:5060"),
        Gen.Char[(char)0xD800, (char)0xDFFF].Array[1, 3].Select(c => new string(c)), Gen.String[Gen.Char, 300, 2000]);

    private static readonly Gen<string?> MaybeText = Text.Null();

    private static readonly Gen<ContactBinding> Bindings =
        Gen.Select(Text, MaybeText, Text, MaybeText, MaybeText, Gen.Long, Gen.Int[-1, 1000], Text,
                (ruid, domain, contact, received, path, expires, q, callId) => new ContactBinding(ruid, ruid + "u", domain, contact, received, path,
                    expires, QValue.FromThousandths(q), callId, 0, 0, 0, 0, "", null, null, null, 0))
            .SelectMany(b => Gen.Select(Gen.Int, Gen.Long, Gen.Int, Gen.Int, Text, MaybeText, Gen.UInt.Nullable(), MaybeText,
                (cseq, lastModified, flags, cflags, userAgent, socket, methods, instance) => b with
                {
                    CSeq = cseq, LastModified = lastModified, Flags = flags, CFlags = cflags, UserAgent = userAgent, Socket = socket, Methods = methods,
                    Instance = instance,
                }))
            .SelectMany(b => Gen.Select(Gen.Int, Gen.Int, Gen.Int, Gen.Int, Gen.Int, (regId, serverId, connectionId, keepalive, partition) => b with
            {
                RegId = regId, ServerId = serverId, ConnectionId = connectionId, Keepalive = keepalive, Partition = partition,
            }));

    [Fact]
    public void Unpacking_gives_back_every_column_exactly_for_any_bindings()
    {
        Bindings.Array[1, 5].Sample(bindings =>
        {
            // One per sample (samples run in parallel; a group's store is one actor's); small, so values past it are stored inline.
            var packing = new PackedBindings(new SharedStrings(capacity: 4));
            var key = bindings[0].Username;
            var unpacked = packing.Unpack(key, packing.Pack(key, bindings));
            Assert.Equal(bindings, unpacked.ToArray());
        }, iter: 2000);
    }

    [Fact]
    public void A_username_equal_to_the_key_and_repeating_columns_are_not_packed_again()
    {
        var shared = new SharedStrings();
        var packing = new PackedBindings(shared);
        var phone = BindingFields.Sample("4912345678", 1) with { UserAgent = "Yealink SIP-T46U 108.86.0.45", Socket = "udp:203.0.113.10:5060" };

        var packed = packing.Pack("4912345678", [phone]).ToArray();
        var again = packing.Pack("4912345679", [phone with { Username = "4912345679" }]).ToArray();

        Assert.Equal(2, shared.Count);
        Assert.Equal(packed.Length, again.Length);
        var inline = phone.Ruid.Length + phone.Contact.Length + phone.CallId.Length;
        Assert.InRange(packed.Length, inline, inline + 40); // tags, the numbers, two shared numbers
        Assert.Same(packing.Unpack("4912345678", packed)[0].UserAgent, packing.Unpack("4912345679", again)[0].UserAgent);
    }

    [Fact]
    public void A_full_table_of_shared_values_stores_new_values_inline()
    {
        var shared = new SharedStrings(capacity: 1);
        var packing = new PackedBindings(shared);
        var first = BindingFields.Sample("ann", 1) with { UserAgent = "phone A" };
        var second = BindingFields.Sample("bob", 2) with { UserAgent = "phone B" };

        packing.Pack("ann", [first]);
        var packed = packing.Pack("bob", [second]).ToArray();

        Assert.Equal(1, shared.Count);
        Assert.Equal("phone B", packing.Unpack("bob", packed)[0].UserAgent);
    }

    [Fact]
    public void The_store_finds_sets_removes_expires_and_pages_by_aor()
    {
        var contacts = new GroupContacts();
        var ann = BindingFields.Sample("ann", 1);
        var annSoon = BindingFields.Sample("ann", 2) with { Expires = BindingFields.Now + 10 };
        var bob = BindingFields.Sample("bob", 3, domain: "example.com") with { Expires = ContactBinding.Permanent };
        contacts.Load(ann);
        contacts.Load(annSoon);
        contacts.Set("bob@example.com", AorBindings.Empty.Put(bob));

        Assert.Equal((2, 3L), (contacts.AorCount, contacts.BindingCount));
        Assert.Equal([ann, annSoon], contacts.Get("ann").ToArray());
        Assert.Equal([bob], contacts.Get("bob@example.com").ToArray());
        Assert.Empty(contacts.Get("cy"));

        Assert.Empty(contacts.RemoveExpired(BindingFields.Now + 5));
        Assert.Equal([annSoon.Ruid], contacts.RemoveExpired(BindingFields.Now + 10).Select(b => b.Ruid));
        Assert.Equal([ann], contacts.Get("ann").ToArray());
        Assert.Equal(2L, contacts.BindingCount);

        var (first, next) = contacts.Page(null, 1);
        Assert.Equal([ann], first);
        Assert.Equal("ann", next);
        var (second, end) = contacts.Page(next, 1);
        Assert.Equal([bob], second);
        Assert.Null(end);
        Assert.Equal([ann, bob], contacts.All().OrderBy(b => b.Username).ToArray());

        var snapshot = contacts.Snapshot();
        contacts.Set("ann", AorBindings.Empty);
        Assert.Equal((1, 1L), (contacts.AorCount, contacts.BindingCount));
        contacts.Set("bob@example.com", AorBindings.Empty.Put(bob with { Contact = "sip:bob@elsewhere" }));
        Assert.Equal(2, snapshot.Count);
        Assert.Equal([ann, bob], snapshot.OrderBy(b => b.Username).ToArray()); // as it was when taken
        contacts.Clear();
        Assert.Equal((0, 0L), (contacts.AorCount, contacts.BindingCount));
    }
}
