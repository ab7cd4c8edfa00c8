using LocationActors.Domain.Contacts;

namespace LocationActors.TestSupport;

/// <summary>Sets one string field of a binding by name (for tests that walk every column).</summary>
public static class BindingFields
{
    /// <summary>A fixed instant for test data: 2026-01-01 00:00:00 UTC.</summary>
    public const long Now = 1_767_225_600;

    /// <summary>A valid binding of <paramref name="user"/>, distinct per <paramref name="n"/> (ruid, contact, Call-ID, CSeq n+1).</summary>
    public static ContactBinding Sample(string user, int n = 0, string? domain = null) => new(
        Ruid: $"uloc-test-{user}-{n}", Username: user, Domain: domain, Contact: $"sip:{user}@192.0.2.{n % 250 + 1}:5060;transport=udp",
        Received: null, Path: null, Expires: Now + 3600, Q: QValue.Unspecified, CallId: $"call-{user}-{n}", CSeq: n + 1,
        LastModified: Now, Flags: 0, CFlags: 0, UserAgent: "test-phone/1.0", Socket: null, Methods: null, Instance: null, RegId: 0);

    public static ContactBinding With(ContactBinding b, string field, string value) => field switch
    {
        nameof(ContactBinding.Ruid) => b with { Ruid = value },
        nameof(ContactBinding.Username) => b with { Username = value },
        nameof(ContactBinding.Domain) => b with { Domain = value },
        nameof(ContactBinding.Contact) => b with { Contact = value },
        nameof(ContactBinding.Received) => b with { Received = value },
        nameof(ContactBinding.Path) => b with { Path = value },
        nameof(ContactBinding.CallId) => b with { CallId = value },
        nameof(ContactBinding.UserAgent) => b with { UserAgent = value },
        nameof(ContactBinding.Socket) => b with { Socket = value },
        nameof(ContactBinding.Instance) => b with { Instance = value },
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };
}
