using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>What a group keeps beside an AOR's packed bindings, to decide without unpacking them.</summary>
/// <param name="Hash">XxHash32 of the key's UTF-8: the same in every process (the keepalive second, the dump order).</param>
/// <param name="Count">How many bindings are packed.</param>
/// <param name="NextExpiry">The soonest expiry of a binding that is not permanent (<see cref="long.MaxValue"/>: none).</param>
public readonly record struct AorInfo(uint Hash, int Count, long NextExpiry);

/// <summary>
/// A hash table of AOR keys to their packed bindings (<see cref="PackedBindings"/>), kept in a few large arrays and
/// no object per AOR: millions of AORs are then a few hundred arrays the garbage collector does not look into, where a
/// <see cref="Dictionary{TKey,TValue}"/> of strings to byte arrays made two objects per AOR for every collection to
/// mark and, on a busy machine, gen-2 pauses of seconds (bench/RESULTS.md, "4 M contacts over 16 groups").
/// <list type="bullet">
/// <item>Each AOR is a record in an arena of 1 MiB chunks: its table entry's number, the key's length, the key (UTF-8;
/// UTF-16 for a key UTF-8 cannot carry exactly), the packed bindings. A change writes a new record and leaves the old
/// one dead; a chunk that is half dead has its live records moved to the chunk being filled and is given back.</item>
/// <item>The entries (hash, chunk, offset, count, soonest expiry) are structs in one array; the buckets chain them. A
/// bucket is the top bits of the hash, so buckets in order are hashes in order at every table size: a dump pages
/// through the AORs by (hash, key), an order every process agrees on, and continues after a group moved.</item>
/// </list>
/// Not thread-safe: one group actor owns it. A span it returns is valid until the next change.
/// </summary>
public sealed class PackedAorTable
{
    /// <summary>The size of an arena chunk: above the large object heap's threshold, so chunks are never copied by the GC.</summary>
    public const int ChunkSize = 1 << 20;

    private const int HeaderSize = 12; // entry number, key length << 1 | UTF-16 flag, value length
    private const int MinBuckets = 16;

    private struct Entry
    {
        public uint Hash;
        public int Next;    // the next entry of the bucket (or of the free list), -1 for none
        public int Chunk;   // -1: the entry is free
        public int Offset;
        public int Count;
        public long NextExpiry;
    }

    private Entry[] _entries = new Entry[MinBuckets];
    private int _entriesUsed;           // entries ever handed out (the high-water mark)
    private int _freeEntry = -1;
    private int[] _buckets = new int[MinBuckets]; // entry number + 1; 0: empty
    private int _shift = 32 - 4;        // bucket = hash >> _shift
    private int _version;

    private readonly List<byte[]?> _chunks = [];
    private readonly List<int> _filled = [];  // bytes written into each chunk
    private readonly List<int> _dead = [];    // bytes of dead records in each chunk
    private readonly Stack<int> _freeChunks = new();
    private readonly Queue<int> _toCompact = new();
    private int _current = -1;

    /// <summary>AORs held.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes of the arena's chunks (live and dead records, and the room left in the chunk being filled).</summary>
    public long ArenaBytes { get; private set; }

    /// <summary>The packed bindings of <paramref name="key"/>, with what is kept beside them.</summary>
    public bool TryGet(string key, out ReadOnlySpan<byte> packed, out AorInfo info)
    {
        using var encoded = new EncodedKey(key);
        var index = Find(encoded, out _);
        if (index < 0)
        {
            packed = default;
            info = default;
            return false;
        }

        ref var entry = ref _entries[index];
        info = new AorInfo(entry.Hash, entry.Count, entry.NextExpiry);
        packed = Value(entry);
        return true;
    }

    /// <summary>
    /// Stores <paramref name="packed"/> as the bindings of <paramref name="key"/>, in place of what was there; returns
    /// how many bindings that was (0: the key is new).
    /// </summary>
    public int Set(string key, ReadOnlySpan<byte> packed, int count, long nextExpiry)
    {
        var previous = 0;
        using var encoded = new EncodedKey(key);
        var index = Find(encoded, out _);
        if (index >= 0)
        {
            ref var entry = ref _entries[index];
            previous = entry.Count;
            var (oldChunk, oldOffset) = (entry.Chunk, entry.Offset);
            var (chunk, offset) = Append(index, encoded, packed); // the new record first, then the old one dies
            entry.Chunk = chunk;
            entry.Offset = offset;
            entry.Count = count;
            entry.NextExpiry = nextExpiry;
            Free(oldChunk, oldOffset);
        }
        else
        {
            if (Count >= _buckets.Length)
                Grow();
            index = NewEntry();
            var (chunk, offset) = Append(index, encoded, packed);
            var bucket = (int)(encoded.Hash >> _shift);
            _entries[index] = new Entry
            {
                Hash = encoded.Hash, Next = _buckets[bucket] - 1, Chunk = chunk, Offset = offset, Count = count, NextExpiry = nextExpiry,
            };
            _buckets[bucket] = index + 1;
            Count++;
        }

        _version++;
        CompactWhatIsHalfDead();
        return previous;
    }

    /// <summary>Removes <paramref name="key"/>; returns how many bindings it had (0: it was not held).</summary>
    public int Remove(string key)
    {
        using var encoded = new EncodedKey(key);
        var index = Find(encoded, out var previous);
        if (index < 0)
            return 0;
        ref var entry = ref _entries[index];
        var count = entry.Count;
        if (previous < 0)
            _buckets[entry.Hash >> _shift] = entry.Next + 1;
        else
            _entries[previous].Next = entry.Next;
        Free(entry.Chunk, entry.Offset);
        entry = new Entry { Chunk = -1, Next = _freeEntry };
        _freeEntry = index;
        Count--;
        _version++;
        CompactWhatIsHalfDead();
        return count;
    }

    /// <summary>The keys whose info <paramref name="where"/> selects. The table must not change while they are enumerated.</summary>
    public IEnumerable<string> Keys(Func<AorInfo, bool> where)
    {
        var version = _version;
        for (var i = 0; i < _entriesUsed; i++)
        {
            if (version != _version)
                throw new InvalidOperationException("the AOR table changed while its keys were enumerated");
            var entry = _entries[i];
            if (entry.Chunk >= 0 && where(new AorInfo(entry.Hash, entry.Count, entry.NextExpiry)))
                yield return KeyOf(entry);
        }
    }

    /// <summary>
    /// Up to <paramref name="take"/> keys after <paramref name="after"/> (from the first when null), in the order of
    /// (hash, key): the same order in every process, so a dump continues where it was after its group moved.
    /// </summary>
    public IReadOnlyList<string> KeysAfter(string? after, int take)
    {
        var found = new List<int>();
        byte[]? afterBytes = null;
        uint afterHash = 0;
        var afterUtf16 = false;
        if (after is not null)
        {
            using var encoded = new EncodedKey(after);
            (afterBytes, afterHash, afterUtf16) = (encoded.Bytes.ToArray(), encoded.Hash, encoded.Utf16);
        }

        // Whole buckets, until enough are found: the keys of one bucket are in no order, so each is sorted once found.
        for (var bucket = after is null ? 0 : (int)(afterHash >> _shift); bucket < _buckets.Length && found.Count < take; bucket++)
        {
            for (var i = _buckets[bucket] - 1; i >= 0; i = _entries[i].Next)
            {
                if (afterBytes is null || Compare(_entries[i], afterHash, afterBytes, afterUtf16) > 0)
                    found.Add(i);
            }
        }

        found.Sort((a, b) => Compare(_entries[a], _entries[b].Hash, KeyBytes(_entries[b], out var utf16), utf16));
        return found.Take(take).Select(i => KeyOf(_entries[i])).ToList();
    }

    /// <summary>
    /// The AORs held now, as they are now, for another thread to read while this table goes on changing: the
    /// positions of their records in the chunks, nothing copied. The table never writes a record's bytes again once
    /// written (only its entry number, which a snapshot does not read) and never reuses a chunk's array, so what a
    /// snapshot reads stays as it was; a chunk given back meanwhile lives on as long as the snapshot does.
    /// </summary>
    public PackedAorSnapshot Snapshot()
    {
        var records = new long[Count];
        var n = 0;
        for (var i = 0; i < _entriesUsed; i++)
        {
            if (_entries[i].Chunk >= 0)
                records[n++] = (long)_entries[i].Chunk << 32 | (uint)_entries[i].Offset;
        }

        return new PackedAorSnapshot([.. _chunks], records);
    }

    /// <summary>Forgets every AOR and gives the arena back.</summary>
    public void Clear()
    {
        _entries = new Entry[MinBuckets];
        _entriesUsed = 0;
        _freeEntry = -1;
        _buckets = new int[MinBuckets];
        _shift = 32 - 4;
        _chunks.Clear();
        _filled.Clear();
        _dead.Clear();
        _freeChunks.Clear();
        _toCompact.Clear();
        _current = -1;
        Count = 0;
        ArenaBytes = 0;
        _version++;
    }

    // ---- the entries and their buckets ---------------------------------------------------------------------------

    private int Find(in EncodedKey key, out int previous)
    {
        previous = -1;
        for (var i = _buckets[key.Hash >> _shift] - 1; i >= 0; previous = i, i = _entries[i].Next)
        {
            ref var entry = ref _entries[i];
            if (entry.Hash == key.Hash && KeyBytes(entry, out var utf16).SequenceEqual(key.Bytes) && utf16 == key.Utf16)
                return i;
        }

        return -1;
    }

    private int NewEntry()
    {
        if (_freeEntry >= 0)
        {
            var index = _freeEntry;
            _freeEntry = _entries[index].Next;
            return index;
        }

        if (_entriesUsed == _entries.Length)
            Array.Resize(ref _entries, _entries.Length * 2);
        return _entriesUsed++;
    }

    /// <summary>Twice the buckets, each entry chained again by the top bits of its hash.</summary>
    private void Grow()
    {
        _buckets = new int[_buckets.Length * 2];
        _shift--;
        for (var i = 0; i < _entriesUsed; i++)
        {
            ref var entry = ref _entries[i];
            if (entry.Chunk < 0)
                continue;
            var bucket = (int)(entry.Hash >> _shift);
            entry.Next = _buckets[bucket] - 1;
            _buckets[bucket] = i + 1;
        }
    }

    private int Compare(in Entry entry, uint hash, ReadOnlySpan<byte> key, bool utf16)
    {
        if (entry.Hash != hash)
            return entry.Hash.CompareTo(hash);
        var bytes = KeyBytes(entry, out var entryUtf16);
        return entryUtf16 != utf16 ? entryUtf16.CompareTo(utf16) : bytes.SequenceCompareTo(key);
    }

    // ---- the arena -------------------------------------------------------------------------------------------------

    private ReadOnlySpan<byte> KeyBytes(in Entry entry, out bool utf16) => KeyBytes(_chunks[entry.Chunk].AsSpan(entry.Offset), out utf16);

    private ReadOnlySpan<byte> Value(in Entry entry) => Value(_chunks[entry.Chunk].AsSpan(entry.Offset));

    private string KeyOf(in Entry entry) => KeyOf(_chunks[entry.Chunk].AsSpan(entry.Offset));

    internal static ReadOnlySpan<byte> KeyBytes(ReadOnlySpan<byte> record, out bool utf16)
    {
        var keyField = BinaryPrimitives.ReadInt32LittleEndian(record[4..]);
        utf16 = (keyField & 1) == 1;
        return record.Slice(HeaderSize, keyField >> 1);
    }

    internal static ReadOnlySpan<byte> Value(ReadOnlySpan<byte> record)
    {
        var keyLength = BinaryPrimitives.ReadInt32LittleEndian(record[4..]) >> 1;
        return record.Slice(HeaderSize + keyLength, BinaryPrimitives.ReadInt32LittleEndian(record[8..]));
    }

    internal static string KeyOf(ReadOnlySpan<byte> record)
    {
        var bytes = KeyBytes(record, out var utf16);
        return utf16 ? new string(MemoryMarshal.Cast<byte, char>(bytes)) : Encoding.UTF8.GetString(bytes);
    }

    private static int RecordLength(ReadOnlySpan<byte> record) =>
        HeaderSize + (BinaryPrimitives.ReadInt32LittleEndian(record[4..]) >> 1) + BinaryPrimitives.ReadInt32LittleEndian(record[8..]);

    /// <summary>Writes a record for entry <paramref name="index"/> where there is room; returns where.</summary>
    private (int Chunk, int Offset) Append(int index, in EncodedKey key, ReadOnlySpan<byte> value)
    {
        var record = Reserve(HeaderSize + key.Bytes.Length + value.Length, out var chunk, out var offset);
        BinaryPrimitives.WriteInt32LittleEndian(record, index);
        BinaryPrimitives.WriteInt32LittleEndian(record[4..], key.Bytes.Length << 1 | (key.Utf16 ? 1 : 0));
        BinaryPrimitives.WriteInt32LittleEndian(record[8..], value.Length);
        key.Bytes.CopyTo(record[HeaderSize..]);
        value.CopyTo(record[(HeaderSize + key.Bytes.Length)..]);
        return (chunk, offset);
    }

    /// <summary>
    /// Room for a record of <paramref name="length"/> bytes at the end of the chunk being filled, or of a new one when
    /// it is full (a full chunk that is half dead is queued: its live records move on).
    /// </summary>
    private Span<byte> Reserve(int length, out int chunk, out int offset)
    {
        if (_current < 0 || _filled[_current] + length > _chunks[_current]!.Length)
        {
            if (_current >= 0 && _dead[_current] * 2 >= _filled[_current])
                _toCompact.Enqueue(_current);
            _current = NewChunk(Math.Max(ChunkSize, length));
        }

        (chunk, offset) = (_current, _filled[_current]);
        _filled[_current] = offset + length;
        return _chunks[_current].AsSpan(offset, length);
    }

    private int NewChunk(int size)
    {
        var chunk = new byte[size];
        ArenaBytes += size;
        if (_freeChunks.TryPop(out var reused))
        {
            _chunks[reused] = chunk;
            _filled[reused] = 0;
            _dead[reused] = 0;
            return reused;
        }

        _chunks.Add(chunk);
        _filled.Add(0);
        _dead.Add(0);
        return _chunks.Count - 1;
    }

    /// <summary>The record at (<paramref name="chunk"/>, <paramref name="offset"/>) is dead: marked, and counted against its chunk.</summary>
    private void Free(int chunk, int offset)
    {
        var record = _chunks[chunk].AsSpan(offset);
        var length = RecordLength(record);
        BinaryPrimitives.WriteInt32LittleEndian(record, -1);
        _dead[chunk] += length;
        // Exactly at the half, so a chunk is queued once (it is given back before it can pass the half again).
        if (chunk != _current && _dead[chunk] * 2 >= _filled[chunk] && (_dead[chunk] - length) * 2 < _filled[chunk])
            _toCompact.Enqueue(chunk);
    }

    /// <summary>Moves the live records of every chunk that became half dead to the chunk being filled, and gives the chunk back.</summary>
    private void CompactWhatIsHalfDead()
    {
        while (_toCompact.TryDequeue(out var chunk))
        {
            if (chunk == _current || _chunks[chunk] is not { } bytes)
                continue;
            for (var offset = 0; offset < _filled[chunk];)
            {
                var record = bytes.AsSpan(offset);
                var length = RecordLength(record);
                var index = BinaryPrimitives.ReadInt32LittleEndian(record);
                if (index >= 0)
                {
                    record[..length].CopyTo(Reserve(length, out var to, out var at));
                    _entries[index].Chunk = to;
                    _entries[index].Offset = at;
                }

                offset += length;
            }

            ArenaBytes -= bytes.Length;
            _chunks[chunk] = null;
            _freeChunks.Push(chunk);
        }
    }

    /// <summary>
    /// A key as the table stores it: UTF-8, or UTF-16 when UTF-8 cannot carry it exactly (a lone surrogate), and its
    /// hash: XxHash32 of the UTF-8 (with such a character replaced), as <see cref="GroupContacts.StableHash"/>.
    /// </summary>
    private readonly ref struct EncodedKey
    {
        private readonly byte[]? _rented;

        public EncodedKey(string key)
        {
            var max = Encoding.UTF8.GetMaxByteCount(key.Length);
            _rented = ArrayPool<byte>.Shared.Rent(max);
            if (Utf8.FromUtf16(key, _rented, out _, out var written, replaceInvalidSequences: false) == OperationStatus.Done)
            {
                Bytes = _rented.AsSpan(0, written);
                Hash = XxHash32.HashToUInt32(Bytes);
            }
            else
            {
                Bytes = MemoryMarshal.AsBytes(key.AsSpan());
                Utf16 = true;
                Hash = GroupContacts.StableHash(key);
            }
        }

        public ReadOnlySpan<byte> Bytes { get; }

        public uint Hash { get; }

        public bool Utf16 { get; }

        public void Dispose()
        {
            if (_rented is not null)
                ArrayPool<byte>.Shared.Return(_rented);
        }
    }
}

/// <summary>The AORs of a <see cref="PackedAorTable"/> as they were when it was taken (<see cref="PackedAorTable.Snapshot"/>).</summary>
public sealed class PackedAorSnapshot
{
    private readonly byte[]?[] _chunks;
    private readonly long[] _records; // chunk << 32 | offset

    internal PackedAorSnapshot(byte[]?[] chunks, long[] records) => (_chunks, _records) = (chunks, records);

    /// <summary>AORs in the snapshot.</summary>
    public int Count => _records.Length;

    public string KeyAt(int index) => PackedAorTable.KeyOf(Record(index));

    public ReadOnlySpan<byte> PackedAt(int index) => PackedAorTable.Value(Record(index));

    private ReadOnlySpan<byte> Record(int index) => _chunks[(int)(_records[index] >> 32)].AsSpan((int)_records[index]);
}
