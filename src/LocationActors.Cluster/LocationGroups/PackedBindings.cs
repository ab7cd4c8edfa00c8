using System.Buffers;
using System.Text;
using System.Text.Unicode;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>
/// The in-memory form of one AOR's bindings inside a group: a single byte array, every binding's columns in write
/// order, numbers as variable-length integers, strings as UTF-8, and the columns whose values repeat (user agent,
/// socket, domain) as numbers into the group's <see cref="SharedStrings"/>. A million contacts as objects (a record,
/// an immutable list node and about ten strings each) cost some 860 bytes apiece and a dozen objects the garbage
/// collector walks; packed they are a record in the group's <see cref="PackedAorTable"/> (bench/RESULTS.md, "A compact
/// contact store").
/// Decoding gives back equal values, byte for byte: a string UTF-8 cannot carry exactly (a lone surrogate) is kept
/// as UTF-16.
/// </summary>
public sealed class PackedBindings(SharedStrings shared)
{
    // String tags: 0 null, 1 a shared value's number follows, 2 the AOR's key itself, 3 UTF-16 (char count, chars),
    // 4 + n: n bytes of UTF-8 follow.
    private const int Null = 0, Shared = 1, TheKey = 2, Utf16 = 3, Utf8Base = 4;

    private readonly ArrayBufferWriter<byte> _buffer = new(512);

    /// <summary>The table of shared values the packed bindings refer to.</summary>
    public SharedStrings SharedValues => shared;

    /// <summary>
    /// Packs <paramref name="bindings"/>, the bindings stored under <paramref name="key"/>, into this packer's buffer:
    /// the span is valid until the next call.
    /// </summary>
    public ReadOnlySpan<byte> Pack(string key, IReadOnlyList<ContactBinding> bindings)
    {
        _buffer.ResetWrittenCount();
        WriteUnsigned((ulong)bindings.Count);
        foreach (var b in bindings)
        {
            WriteString(b.Ruid, null, share: false);
            WriteString(b.Username, b.Domain is null ? key : null, share: false);
            WriteString(b.Domain, null, share: true);
            WriteString(b.Contact, null, share: false);
            WriteString(b.Received, null, share: false);
            WriteString(b.Path, null, share: false);
            WriteSigned(b.Expires);
            WriteSigned(b.Q.Thousandths);
            WriteString(b.CallId, null, share: false);
            WriteSigned(b.CSeq);
            WriteSigned(b.LastModified);
            WriteSigned(b.Flags);
            WriteSigned(b.CFlags);
            WriteString(b.UserAgent, null, share: true);
            WriteString(b.Socket, null, share: true);
            WriteUnsigned(b.Methods is { } methods ? methods + 1UL : 0);
            WriteString(b.Instance, null, share: false);
            WriteSigned(b.RegId);
            WriteSigned(b.ServerId);
            WriteSigned(b.ConnectionId);
            WriteSigned(b.Keepalive);
            WriteSigned(b.Partition);
        }

        return _buffer.WrittenSpan;
    }

    /// <summary>The bindings packed under <paramref name="key"/>, in their write order.</summary>
    public AorBindings Unpack(string key, ReadOnlySpan<byte> packed)
    {
        var reader = new Reader(packed, key, shared);
        var count = (int)reader.Unsigned();
        var bindings = new ContactBinding[count];
        for (var i = 0; i < count; i++)
        {
            bindings[i] = new ContactBinding(
                Ruid: reader.String()!,
                Username: reader.String()!,
                Domain: reader.String(),
                Contact: reader.String()!,
                Received: reader.String(),
                Path: reader.String(),
                Expires: reader.Signed(),
                Q: QValue.FromThousandths((int)reader.Signed()),
                CallId: reader.String()!,
                CSeq: (int)reader.Signed(),
                LastModified: reader.Signed(),
                Flags: (int)reader.Signed(),
                CFlags: (int)reader.Signed(),
                UserAgent: reader.String()!,
                Socket: reader.String(),
                Methods: reader.Unsigned() is var methods and > 0 ? (uint)(methods - 1) : null,
                Instance: reader.String(),
                RegId: (int)reader.Signed(),
                ServerId: (int)reader.Signed(),
                ConnectionId: (int)reader.Signed(),
                Keepalive: (int)reader.Signed(),
                Partition: (int)reader.Signed());
        }

        return AorBindings.FromWriteOrder(bindings);
    }

    private void WriteString(string? value, string? key, bool share)
    {
        if (value is null)
        {
            WriteUnsigned(Null);
            return;
        }

        if (key is not null && string.Equals(value, key, StringComparison.Ordinal))
        {
            WriteUnsigned(TheKey);
            return;
        }

        if (share && shared.IdOf(value) is var id and >= 0)
        {
            WriteUnsigned(Shared);
            WriteUnsigned((ulong)id);
            return;
        }

        var length = Encoding.UTF8.GetMaxByteCount(value.Length);
        Span<byte> scratch = length <= 1024 ? stackalloc byte[length] : new byte[length];
        if (Utf8.FromUtf16(value, scratch, out _, out var written, replaceInvalidSequences: false) == OperationStatus.Done)
        {
            WriteUnsigned(Utf8Base + (ulong)written);
            _buffer.Write(scratch[..written]);
            return;
        }

        WriteUnsigned(Utf16);
        WriteUnsigned((ulong)value.Length);
        foreach (var c in value)
        {
            var span = _buffer.GetSpan(2);
            span[0] = (byte)c;
            span[1] = (byte)(c >> 8);
            _buffer.Advance(2);
        }
    }

    /// <summary>Zigzag, so small negative numbers (an unspecified q is -1) stay one byte.</summary>
    private void WriteSigned(long value) => WriteUnsigned((ulong)((value << 1) ^ (value >> 63)));

    private void WriteUnsigned(ulong value)
    {
        var span = _buffer.GetSpan(10);
        var n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[n++] = (byte)value;
        _buffer.Advance(n);
    }

    private ref struct Reader(ReadOnlySpan<byte> packed, string key, SharedStrings shared)
    {
        private readonly ReadOnlySpan<byte> _bytes = packed;
        private int _at;

        public ulong Unsigned()
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = _bytes[_at++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                    return value;
            }
        }

        public long Signed()
        {
            var raw = Unsigned();
            return (long)(raw >> 1) ^ -(long)(raw & 1);
        }

        public string? String()
        {
            var tag = Unsigned();
            switch (tag)
            {
                case Null:
                    return null;
                case Shared:
                    return shared[(int)Unsigned()];
                case TheKey:
                    return key;
                case Utf16:
                    var length = (int)Unsigned();
                    var chars = new char[length];
                    for (var i = 0; i < length; i++, _at += 2)
                        chars[i] = (char)(_bytes[_at] | _bytes[_at + 1] << 8);
                    return new string(chars);
                default:
                    var count = (int)(tag - Utf8Base);
                    var value = Encoding.UTF8.GetString(_bytes.Slice(_at, count));
                    _at += count;
                    return value;
            }
        }
    }
}
