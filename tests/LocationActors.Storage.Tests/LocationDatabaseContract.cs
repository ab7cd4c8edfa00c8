using LocationActors.Domain.Contacts;
using LocationActors.Domain.Encoding;
using LocationActors.TestSupport;
using LocationActors.Storage;

namespace LocationActors.Storage.Tests;

/// <summary>
/// What every partition-database backend must do. Runs once against real MariaDB and once against SQLite
/// (the subclasses), so both implementations keep the same behaviour.
/// </summary>
public abstract class LocationDatabaseContract
{
    protected const long Now = BindingFields.Now;

    /// <summary>A new, empty database of the backend under test (no tables yet).</summary>
    protected abstract Task<DatabaseUrl> NewDatabaseAsync();

    /// <summary>Raw SELECT on the database, values as the server prints them (NULL as null).</summary>
    protected abstract Task<List<string?[]>> QueryAsync(DatabaseUrl url, string sql);

    /// <summary>Raw statement on the database (another writer, such as Kamailio).</summary>
    protected abstract Task ExecuteAsync(DatabaseUrl url, string sql);

    /// <summary>A DATETIME value as Kamailio's driver for this backend stores it, printed as a query returns it.</summary>
    protected abstract string RawTime(long unixSeconds);

    /// <summary>The same value as an SQL literal, for statements written the way Kamailio writes them.</summary>
    protected abstract string TimeLiteral(long unixSeconds);

    /// <summary>Makes the server refuse any row with this ruid (a trigger), as a real refusal the checks cannot foresee.</summary>
    protected abstract Task RefuseRuidAsync(DatabaseUrl url, string ruid);

    /// <summary>Whether text columns hold a NUL character (PostgreSQL's text cannot).</summary>
    protected virtual bool StoresNul => true;

    /// <summary>The <c>partition</c> column in a raw query (MariaDB reserves the word).</summary>
    protected virtual string PartitionColumn => "`partition`";

    /// <summary>How Kamailio's driver for this backend stores a new row (db_mysql and db_sqlite: REPLACE).</summary>
    protected virtual string KamailioInsert(string columns, string values) => $"REPLACE INTO location ({columns}) VALUES ({values})";

    protected async Task<LocationDatabase> NewLocationDatabaseAsync(StorageOptions? options = null)
    {
        var db = new LocationDatabase(await NewDatabaseAsync(), options);
        await db.CreateSchemaAsync();
        return db;
    }

    protected static ContactBinding Binding(string user, int n = 0, string? domain = null) => BindingFields.Sample(user, n, domain);

    [Fact]
    public async Task Every_field_round_trips()
    {
        await using var db = await NewLocationDatabaseAsync();
        var full = Binding("alice", 1, domain: "example.com") with
        {
            Received = "sip:198.51.100.7:40312", Path = "<sip:edge1.example.com;lr>,<sip:edge2.example.com;lr>",
            Expires = Now + 1800, Q = QValue.FromThousandths(700), CSeq = 42, LastModified = Now - 5, Flags = 3, CFlags = 64,
            Socket = "udp:127.0.0.1:5060", Methods = 0x1FFF, Instance = "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>",
            RegId = 2, ServerId = 7, ConnectionId = 11, Keepalive = 1, Partition = 4,
        };
        var permanent = Binding("alice", 2, domain: "example.com") with { Expires = ContactBinding.Permanent };
        await db.UpsertAsync([full, permanent]);

        var loaded = await db.LoadAorAsync("alice", "example.com");

        Assert.Equal([full, permanent], loaded);
    }

    [Fact]
    public async Task Several_aors_are_read_in_one_call_each_in_kamailios_order()
    {
        await using var db = await NewLocationDatabaseAsync();
        var (low, high) = (Binding("dora", 1) with { Q = QValue.FromThousandths(100) }, Binding("dora", 2) with { Q = QValue.FromThousandths(900) });
        var elsewhere = Binding("dora", 3, domain: "example.org");
        await db.UpsertAsync([low, high, elsewhere, Binding("dirk", 4), Binding("other", 5)]);

        var rows = await db.LoadUsernamesAsync(["dora", "dirk", "dora", "nobody"]);

        Assert.Equal(await db.LoadAorAsync("dora", null), rows.Where(r => r.Username == "dora").ToList());
        Assert.Equal([high, low], rows.Where(r => r is { Username: "dora", Domain: null }).ToList());
        Assert.Equal(["dirk"], rows.Where(r => r.Username != "dora").Select(r => r.Username));
        Assert.Empty(await db.LoadUsernamesAsync([]));
    }

    [Fact]
    public async Task Rows_are_encoded_as_kamailio_encodes_them()
    {
        await using var db = await NewLocationDatabaseAsync();
        await db.UpsertAsync([Binding("bob") with { Expires = ContactBinding.Permanent, Q = QValue.FromThousandths(500), Methods = 5 },
                              Binding("carol") with { Expires = Now + 60 }]);

        var rows = await QueryAsync(db.Url,
            $"SELECT username, domain, expires, q, methods, last_modified, server_id, connection_id, keepalive, {PartitionColumn} FROM location ORDER BY username");

        Assert.Equal(new string?[] { "bob", null, RawTime(0), "0.5", "5", RawTime(Now), "0", "0", "0", "0" }, Normalise(rows[0]));
        Assert.Equal(new string?[] { "carol", null, RawTime(Now + 60), "-1", null, RawTime(Now), "0", "0", "0", "0" }, Normalise(rows[1]));
    }

    [Fact]
    public async Task Rows_written_by_kamailio_are_read()
    {
        await using var db = await NewLocationDatabaseAsync();
        // The statement p_usrloc sends (spec §4, from the query log): 17 columns, no domain, q -1, methods NULL.
        await ExecuteAsync(db.Url, KamailioInsert(
            "username, contact, expires, q, callid, cseq, flags, cflags, user_agent, received, path, socket, methods, last_modified, ruid, instance, reg_id",
            $"'1000', 'sip:1000@127.0.0.1:5070', {TimeLiteral(Now + 3600)}, -1, 'abc@127.0.0.1', 2, 0, 0, 'sipp', NULL, NULL, 'udp:127.0.0.1:5060', NULL, " +
            $"{TimeLiteral(Now)}, 'uloc-6b07ead6-2d68-2', NULL, 0"));

        var binding = Assert.Single(await db.LoadAorAsync("1000", null));

        Assert.Equal("uloc-6b07ead6-2d68-2", binding.Ruid);
        Assert.Equal(Now + 3600, binding.Expires);
        Assert.Equal(QValue.Unspecified, binding.Q);
        Assert.Null(binding.Methods);
        Assert.Null(binding.Domain);
        Assert.Equal("udp:127.0.0.1:5060", binding.Socket);
        Assert.Equal(2, binding.CSeq);
    }

    [Fact]
    public async Task Rows_kamailio_would_skip_are_skipped()
    {
        await using var db = await NewLocationDatabaseAsync();
        await db.UpsertAsync([Binding("dave")]);
        await ExecuteAsync(db.Url, "INSERT INTO location (ruid, username, contact, callid) VALUES ('r-empty-contact', 'dave', '', 'c')");
        await ExecuteAsync(db.Url, "INSERT INTO location (ruid, username, contact, callid) VALUES ('r-empty-callid', 'dave', 'sip:x@y', '')");

        Assert.Equal(["uloc-test-dave-0"], (await db.LoadAorAsync("dave", null)).Select(b => b.Ruid));
    }

    [Fact]
    public async Task Replace_by_ruid_updates_in_place()
    {
        await using var db = await NewLocationDatabaseAsync();
        var first = Binding("erin");
        await db.UpsertAsync([first]);
        var updated = first with { Expires = Now + 7200, CSeq = 2, CallId = "new-call", Contact = "sip:erin@203.0.113.9" };

        await db.UpsertAsync([updated]);

        Assert.Equal(1, await db.CountAsync());
        Assert.Equal([updated], await db.LoadAorAsync("erin", null));
    }

    [Fact]
    public async Task Contacts_come_back_in_kamailio_order()
    {
        await using var db = await NewLocationDatabaseAsync();
        var unspecified = Binding("frank", 1);
        var low = Binding("frank", 2) with { Q = QValue.FromThousandths(100) };
        var highOld = Binding("frank", 3) with { Q = QValue.FromThousandths(900) };
        var mid = Binding("frank", 4) with { Q = QValue.FromThousandths(500) };
        var highNew = Binding("frank", 5) with { Q = QValue.FromThousandths(900) };
        foreach (var b in new[] { unspecified, low, highOld, mid, highNew })
            await db.UpsertAsync([b]);

        var order = (await db.LoadAorAsync("frank", null)).Select(b => b.Ruid);

        Assert.Equal([highOld.Ruid, highNew.Ruid, mid.Ruid, low.Ruid, unspecified.Ruid], order);
    }

    [Fact]
    public async Task A_batch_of_10000_is_stored_whole()
    {
        await using var db = await NewLocationDatabaseAsync();
        var batch = Enumerable.Range(0, 10_000).Select(i => Binding("user" + (i / 2), i)).ToList();

        await db.UpsertAsync(batch);

        Assert.Equal(10_000, await db.CountAsync());
        Assert.Equal([batch[9998], batch[9999]], await db.LoadAorAsync("user4999", null));
    }

    [Fact]
    public async Task A_row_the_server_refuses_fails_alone_and_the_rest_of_its_batch_is_stored()
    {
        await using var db = await NewLocationDatabaseAsync();
        var batch = Enumerable.Range(0, 60).Select(i => Binding("v" + i, i)).ToList();
        await RefuseRuidAsync(db.Url, batch[37].Ruid);

        var refused = await db.UpsertAsync(batch);

        var failure = Assert.Single(refused);
        Assert.Equal(batch[37].Ruid, failure.Ruid);
        Assert.Contains(db.Url.ToString(), failure.Error.Message);
        Assert.False(failure.Error.IsTransient);
        Assert.Equal(59, await db.CountAsync());
        Assert.Empty(await db.LoadAorAsync("v37", null));
    }

    [Fact]
    public async Task An_over_long_value_fails_the_whole_call_before_anything_is_written()
    {
        await using var db = await NewLocationDatabaseAsync();
        var batch = Enumerable.Range(0, 1200).Select(i => Binding("u" + i, i)).ToList();
        batch[1100] = batch[1100] with { Contact = "sip:" + new string('x', 600) };

        var error = await Assert.ThrowsAsync<StorageException>(() => db.UpsertAsync(batch));

        Assert.Equal(StorageErrorKind.InvalidData, error.Kind);
        Assert.Contains("Contact has 604 characters, the column holds 512", error.Message);
        Assert.Contains(db.Url.ToString(), error.Message);
        Assert.Equal(0, await db.CountAsync());
    }

    [Theory]
    [InlineData(nameof(ContactBinding.Ruid), LocationColumns.Ruid)]
    [InlineData(nameof(ContactBinding.Username), LocationColumns.Username)]
    [InlineData(nameof(ContactBinding.Domain), LocationColumns.Domain)]
    [InlineData(nameof(ContactBinding.Contact), LocationColumns.Contact)]
    [InlineData(nameof(ContactBinding.Received), LocationColumns.Received)]
    [InlineData(nameof(ContactBinding.Path), LocationColumns.Path)]
    [InlineData(nameof(ContactBinding.CallId), LocationColumns.CallId)]
    [InlineData(nameof(ContactBinding.UserAgent), LocationColumns.UserAgent)]
    [InlineData(nameof(ContactBinding.Socket), LocationColumns.Socket)]
    [InlineData(nameof(ContactBinding.Instance), LocationColumns.Instance)]
    public async Task Values_that_fill_a_column_exactly_fit_and_longer_ones_are_refused(string field, int size)
    {
        await using var db = await NewLocationDatabaseAsync();
        var fits = BindingFields.With(Binding("gina"), field, new string('y', size));
        await db.UpsertAsync([fits]);
        var stored = field == nameof(ContactBinding.Username)
            ? await db.LoadAorAsync(fits.Username, null)
            : field == nameof(ContactBinding.Domain) ? await db.LoadAorAsync("gina", fits.Domain) : await db.LoadAorAsync("gina", null);
        Assert.Equal([fits], stored);

        var tooLong = BindingFields.With(Binding("gina", 9), field, new string('y', size + 1));
        var error = await Assert.ThrowsAsync<StorageException>(() => db.UpsertAsync([tooLong]));
        Assert.Equal(StorageErrorKind.InvalidData, error.Kind);
        Assert.Contains(field, error.Message);
        Assert.Equal(1, await db.CountAsync());
    }

    public static readonly TheoryData<string> Metacharacters = new()
    {
        "'; DROP TABLE location; --",
        "\" OR \"1\"=\"1",
        "back\\slash\\' and \\\\",
        "100% _wild_ %%",
        "`tick` $var @param :name ?",
        "line\nbreak\ttab\r",
        "nul\0byte",
        "/* comment */ -- comment # hash",
    };

    [Theory]
    [MemberData(nameof(Metacharacters))]
    public async Task Sql_metacharacters_are_stored_literally_in_every_field(string nasty)
    {
        await using var db = await NewLocationDatabaseAsync();
        var tricky = new ContactBinding(
            Ruid: "r" + nasty, Username: "u" + nasty, Domain: "d" + nasty, Contact: "sip:" + nasty, Received: "rc" + nasty,
            Path: "p" + nasty, Expires: Now + 10, Q: QValue.FromThousandths(10), CallId: "c" + nasty, CSeq: 1, LastModified: Now,
            Flags: 0, CFlags: 0, UserAgent: "ua" + nasty, Socket: "s" + nasty, Methods: 1, Instance: "i" + nasty, RegId: 1);
        var refused = await db.UpsertAsync([tricky, Binding("bystander")]);

        if (nasty.Contains('\0') && !StoresNul)
        {
            // The server refuses the row alone, as invalid data (not a broken member), and a read with it likewise.
            Assert.Equal(StorageErrorKind.InvalidData, Assert.Single(refused).Error.Kind);
            Assert.Equal(StorageErrorKind.InvalidData, (await Assert.ThrowsAsync<StorageException>(() => db.LoadAorAsync(tricky.Username, null))).Kind);
            Assert.Equal(1, await db.CountAsync());
            return;
        }

        Assert.Empty(refused);
        Assert.Equal([tricky], await db.LoadAorAsync(tricky.Username, tricky.Domain));
        Assert.Empty(await db.LoadAorAsync("u%", null)); // LIKE wildcards mean nothing in an equality
        Assert.Equal(1, await db.DeleteContactAsync(tricky.Username, tricky.Domain, tricky.Contact, tricky.CallId));
        Assert.Equal(1, await db.CountAsync());
    }

    [Fact]
    public async Task A_shared_catch_up_copies_the_complete_member_and_deletes_only_rows_known_removed_or_expired()
    {
        await using var complete = await NewLocationDatabaseAsync();
        await using var returning = await NewLocationDatabaseAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        ContactBinding Row(string user, long age) => Binding(user) with { LastModified = now - age, Expires = now + 3600 };
        var both = Row("both", 600);                                   // another writer's row from before: never touched
        var whileAway = Enumerable.Range(0, 1200).Select(i => Row("away" + i, 60)).ToList(); // registered on the complete one only
        var removed = Row("removed", 900);                             // removed on the complete member while away
        var expired = Row("expired", 4000) with { Expires = now - 10 };
        // Written as the copy starts: kept while it might be on its way to the complete member, then deleted, as it is
        // still not there once the clock margin has passed (a write that reached one member only was never acknowledged).
        var racing = Row("racing", 0);
        var olderThere = Row("refreshed", 900);
        var refreshed = olderThere with { LastModified = now - 30, CSeq = olderThere.CSeq + 1 };
        var newerThere = Row("newer", 0);                              // refreshed on both as the copy starts: kept
        // Newer here but from before the copy: it reached this member only (a statement that ran when a frozen server
        // thawed, which its writer saw fail): the complete member's version wins.
        var staleThere = Row("stale", 30);
        await complete.UpsertAsync([both, .. whileAway, refreshed, newerThere with { LastModified = now - 900 }, staleThere with { LastModified = now - 900 }]);
        await returning.UpsertAsync([both, removed, expired, racing, olderThere, newerThere, staleThere]);

        var report = await SharedCatchUp.RunAsync(complete, returning, () => DateTimeOffset.UtcNow.ToUnixTimeSeconds());

        var rows = new Dictionary<string, ContactBinding>();
        await foreach (var row in returning.StreamAllAsync())
            rows[row.Ruid] = row;
        Assert.Equal(new[] { both, refreshed, newerThere, staleThere with { LastModified = now - 900 } }.Concat(whileAway).OrderBy(b => b.Ruid, StringComparer.Ordinal),
            rows.Values.OrderBy(b => b.Ruid, StringComparer.Ordinal));
        Assert.Equal((1204L, 1202L, 3L, 1L, 0L), (report.CompleteRows, report.Copied, report.Deleted, report.KeptNewer, report.KeptUnproven));
        Assert.Equal(1204, await complete.CountAsync()); // the complete member is only read

        // The refresh racing the copy reaches the complete member too; a second run then finds nothing left to do.
        await complete.UpsertAsync([newerThere]);
        var again = await SharedCatchUp.RunAsync(complete, returning, () => DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Equal((0L, 0L), (again.Copied, again.Deleted));
    }

    [Fact]
    public async Task A_catch_up_from_a_member_that_missed_writes_too_deletes_nothing_but_expired_rows()
    {
        await using var source = await NewLocationDatabaseAsync();
        await using var returning = await NewLocationDatabaseAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var onlyThere = Binding("onlythere") with { LastModified = now - 900, Expires = now + 3600 }; // the source may have missed it
        var expired = Binding("expiredthere") with { LastModified = now - 900, Expires = now - 1 };
        var fromSource = Binding("fromsource") with { LastModified = now - 60, Expires = now + 3600 };
        await source.UpsertAsync([fromSource]);
        await returning.UpsertAsync([onlyThere, expired]);

        var report = await SharedCatchUp.RunAsync(source, returning, () => DateTimeOffset.UtcNow.ToUnixTimeSeconds(), deleteRemoved: false);

        Assert.Equal([fromSource], await returning.LoadAorAsync("fromsource", null));
        Assert.Equal([onlyThere], await returning.LoadAorAsync("onlythere", null));
        Assert.Empty(await returning.LoadAorAsync("expiredthere", null));
        Assert.Equal((1L, 1L, 1L), (report.Copied, report.Deleted, report.KeptUnproven));
    }

    [Fact]
    public async Task Rows_are_loaded_by_ruid_across_statements()
    {
        await using var db = await NewLocationDatabaseAsync(StorageOptions.Default with { MaxRowsPerStatement = 10 });
        var rows = Enumerable.Range(0, 45).Select(i => Binding("byruid" + i, i)).ToList();
        await db.UpsertAsync(rows);

        var found = await db.LoadRuidsAsync([.. rows.Where((_, i) => i % 2 == 0).Select(b => b.Ruid), "no-such-ruid"]);

        Assert.Equal(rows.Where((_, i) => i % 2 == 0).OrderBy(b => b.Ruid, StringComparer.Ordinal),
            found.Values.OrderBy(b => b.Ruid, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Reconcile_leaves_exactly_the_given_rows_and_writes_only_the_difference()
    {
        await using var db = await NewLocationDatabaseAsync();
        var kept = Binding("tom", 1);
        var same = Enumerable.Range(0, 700).Select(i => Binding("r" + i, i + 10)).ToList();
        await db.UpsertAsync([kept, Binding("stale", 2), .. same]);
        var snapshot = same.Append(kept with { CSeq = 7 }).Append(Binding("new", 3)).ToList();

        Assert.Equal((2, 1), await db.ReconcileAsync(snapshot)); // tom changed, new missing; stale deleted

        Assert.Equal(702, await db.CountAsync());
        Assert.Empty(await db.LoadAorAsync("stale", null));
        Assert.Equal([kept with { CSeq = 7 }], await db.LoadAorAsync("tom", null));
        // What was read back equals what was written: a second pass finds nothing to do.
        Assert.Equal((0, 0), await db.ReconcileAsync(snapshot));
        Assert.Equal((0, 702), await db.ReconcileAsync([]));
        Assert.Equal(0, await db.CountAsync());
    }

    /// <summary>Whether the backend's server computes a table digest (SQLite has no checksum function).</summary>
    protected virtual bool HasDigest => true;

    [Fact]
    public async Task Equal_tables_have_equal_digests_and_any_difference_shows()
    {
        await using var a = await NewLocationDatabaseAsync();
        await using var b = await NewLocationDatabaseAsync();
        var rows = Enumerable.Range(0, 300).Select(i => Binding("d" + i, i)).ToList();
        await a.UpsertAsync(rows);
        await b.UpsertAsync(rows.AsEnumerable().Reverse().ToList()); // other ids, other order: the same content

        var digest = await a.DigestAsync();
        if (!HasDigest)
        {
            Assert.Null(digest);
            return;
        }

        Assert.Equal(300, digest!.Rows);
        Assert.Equal(digest, await b.DigestAsync());
        await b.UpsertAsync([rows[7] with { Expires = rows[7].Expires + 1 }]);
        Assert.NotEqual(digest, await b.DigestAsync());
        await b.UpsertAsync([rows[7]]);
        Assert.Equal(digest, await b.DigestAsync());
        await b.UpsertAsync([rows[9] with { Path = "" }]); // an empty value is not a NULL
        Assert.NotEqual(digest, await b.DigestAsync());
    }

    [Fact]
    public async Task Deletes_follow_p_usrloc()
    {
        await using var db = await NewLocationDatabaseAsync();
        var a1 = Binding("hank", 1, "a.example");
        var a2 = Binding("hank", 2, "a.example");
        var b1 = Binding("hank", 3, "b.example");
        var other = Binding("ivan", 4);
        await db.UpsertAsync([a1, a2, b1, other]);

        Assert.Equal(0, await db.DeleteContactAsync("hank", "a.example", a1.Contact, "another-call-id")); // stored Call-ID only
        Assert.Equal(1, await db.DeleteContactAsync("hank", "a.example", a1.Contact, a1.CallId));
        Assert.Equal(1, await db.DeleteByRuidAsync([a2.Ruid, "no-such-ruid"]));
        Assert.Equal(1, await db.DeleteAorAsync("hank", "b.example"));
        Assert.Equal([other], await db.LoadAorAsync("ivan", null));
        Assert.Equal(1, await db.CountAsync());

        await db.UpsertAsync([a1, b1]);
        Assert.Equal(2, await db.DeleteAorAsync("hank", null)); // use_domain=0: the username alone names the AOR
    }

    [Fact]
    public async Task Deleting_many_ruids_spans_statements()
    {
        await using var db = await NewLocationDatabaseAsync(StorageOptions.Default with { MaxRowsPerStatement = 100 });
        var batch = Enumerable.Range(0, 1000).Select(i => Binding("k" + i, i)).ToList();
        await db.UpsertAsync(batch);

        Assert.Equal(999, await db.DeleteByRuidAsync(batch.Skip(1).Select(b => b.Ruid).ToList()));
        Assert.Equal(1, await db.CountAsync());
    }

    [Fact]
    public async Task Expired_rows_are_deleted_in_bounded_batches_and_permanent_ones_never()
    {
        await using var db = await NewLocationDatabaseAsync();
        var expired = Enumerable.Range(0, 25).Select(i => Binding("old" + i, i) with { Expires = Now - 1 - i }).ToList();
        var dueNow = Binding("edge") with { Expires = Now };
        var valid = Binding("fresh") with { Expires = Now + 1 };
        var permanent = Binding("forever") with { Expires = ContactBinding.Permanent };
        await db.UpsertAsync([.. expired, dueNow, valid, permanent]);

        Assert.Equal(10, await db.DeleteExpiredAsync(Now, limit: 10));
        Assert.Equal(10, await db.DeleteExpiredAsync(Now, limit: 10));
        Assert.Equal(6, await db.DeleteExpiredAsync(Now, limit: 10));
        Assert.Equal(0, await db.DeleteExpiredAsync(Now, limit: 10));

        Assert.Equal(2, await db.CountAsync());
        Assert.Equal([valid], await db.LoadAorAsync("fresh", null));
        Assert.Equal([permanent], await db.LoadAorAsync("forever", null));
    }

    [Fact]
    public async Task Streaming_100000_rows_yields_each_once()
    {
        await using var db = await NewLocationDatabaseAsync();
        const int total = 100_000;
        for (var start = 0; start < total; start += 10_000)
            await db.UpsertAsync(Enumerable.Range(start, 10_000).Select(i => Binding("s" + i, i)).ToList());

        long count = 0, checksum = 0;
        await foreach (var binding in db.StreamAllAsync())
        {
            count++;
            checksum += binding.CSeq;
        }

        Assert.Equal(total, count);
        Assert.Equal((long)total * (total + 1) / 2, checksum); // every row exactly once (CSeq = n + 1)
    }

    [Fact]
    public async Task A_row_replaced_during_a_stream_is_seen_again_not_missed()
    {
        await using var db = await NewLocationDatabaseAsync(StorageOptions.Default with { StreamPageSize = 10 });
        var rows = Enumerable.Range(0, 30).Select(i => Binding("w" + i, i)).ToList();
        await db.UpsertAsync(rows);
        await using var writer = new LocationDatabase(db.Url, db.Options);

        var seen = new List<ContactBinding>();
        await foreach (var binding in db.StreamAllAsync())
        {
            seen.Add(binding);
            if (seen.Count == 15)
                await writer.UpsertAsync([rows[20] with { CSeq = 99 }, rows[2] with { CSeq = 98 }]); // one ahead, one behind
        }

        Assert.Equal(30, seen.Select(b => b.Ruid).Distinct().Count());
        Assert.Equal(98, seen.Last(b => b.Ruid == rows[2].Ruid).CSeq); // the update behind the cursor comes again at the end
        Assert.Equal(99, seen.Last(b => b.Ruid == rows[20].Ruid).CSeq);
    }

    [Fact]
    public async Task Probe_needs_the_table_not_just_the_server()
    {
        await using var db = await NewLocationDatabaseAsync();
        await db.ProbeAsync();

        await using var noTable = new LocationDatabase(await NewDatabaseAsync());
        var error = await Assert.ThrowsAsync<StorageException>(() => noTable.ProbeAsync());
        Assert.Equal(StorageErrorKind.Schema, error.Kind);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task Nodes_creating_the_schema_at_once_do_not_collide()
    {
        var url = await NewDatabaseAsync();
        var handles = Enumerable.Range(0, 6).Select(_ => new LocationDatabase(url)).ToList();

        await Task.WhenAll(handles.Select(h => h.CreateSchemaAsync()));

        Assert.Equal([["location", "9"], ["version", "1"]],
            (await QueryAsync(url, "SELECT table_name, table_version FROM version ORDER BY table_name")).Select(Normalise));
        foreach (var handle in handles)
            await handle.DisposeAsync();
    }

    [Fact]
    public async Task Creating_the_schema_twice_changes_nothing()
    {
        await using var db = await NewLocationDatabaseAsync();
        await db.UpsertAsync([Binding("jack")]);

        await db.CreateSchemaAsync();

        Assert.Equal(1, await db.CountAsync());
        Assert.Equal([["location", "9"], ["version", "1"]],
            (await QueryAsync(db.Url, "SELECT table_name, table_version FROM version ORDER BY table_name")).Select(Normalise));
    }

    [Fact]
    public async Task Another_table_name_works_like_location()
    {
        await using var cfa = new LocationDatabase(await NewDatabaseAsync(), table: "cfa");
        await cfa.CreateSchemaAsync();
        await cfa.UpsertAsync([Binding("kate")]);

        Assert.Single(await cfa.LoadAorAsync("kate", null));
        Assert.Equal([["cfa", "9"]], (await QueryAsync(cfa.Url, "SELECT table_name, table_version FROM version WHERE table_name = 'cfa'")).Select(Normalise));
    }

    /// <summary>Servers print FLOAT -1.00 / 0.50 differently; compare numbers as numbers.</summary>
    protected static string?[] Normalise(string?[] row) => row.Select(v =>
        v is not null && double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d)
                      && v.Contains('.') ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : v).ToArray();
}
