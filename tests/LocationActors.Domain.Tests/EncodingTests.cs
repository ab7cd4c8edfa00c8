using LocationActors.Domain.Contacts;
using LocationActors.Domain.Encoding;
using LocationActors.Domain.LocDb;
using LocationActors.TestSupport;

namespace LocationActors.Domain.Tests;

[Trait(Tier.Name, Tier.Unit)]
public class EncodingTests
{
    [Theory]
    [InlineData(0L, "1970-01-01 00:00:00")]                 // permanent contact = the epoch
    [InlineData(1_700_000_000L, "2023-11-14 22:13:20")]
    [InlineData(LocDbRow.ZeroTime, "1901-12-13 20:45:52")]    // p_usrloc's failover reset marker
    [InlineData(LocDbRow.DefaultTime, "1900-01-01 00:00:01")] // locdb's column default
    [InlineData(ContactBinding.MaxTime, "9999-12-31 23:59:59")]
    public void Utc_times_are_written_as_kamailio_writes_them(long unix, string text)
    {
        Assert.Equal(text, DbTimeCodec.Utc.ToDbText(unix));
        Assert.Equal(unix, DbTimeCodec.Utc.FromDbText(text));
        Assert.Equal(unix, DbTimeCodec.Utc.FromDb(DbTimeCodec.Utc.ToDb(unix)));
    }

    [Fact]
    public void Times_in_a_configured_zone_are_local_wall_clock()
    {
        var berlin = new DbTimeCodec(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));

        Assert.Equal("1970-01-01 01:00:00", berlin.ToDbText(0));                    // the epoch, CET
        Assert.Equal("2023-07-01 14:00:00", berlin.ToDbText(1_688_212_800));        // 12:00 UTC in CEST
        Assert.Equal(1_688_212_800, berlin.FromDbText("2023-07-01 14:00:00"));
        Assert.Equal(0, berlin.FromDbText("1970-01-01 01:00:00"));
    }

    [Fact]
    public void Every_hour_round_trips_in_a_zone_with_dst_except_the_repeated_one()
    {
        var berlin = new DbTimeCodec(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));
        var start = new DateTimeOffset(2023, 10, 28, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();
        var mismatches = 0;
        for (var t = start; t < start + 3 * 86400; t += 900)
            if (berlin.FromDb(berlin.ToDb(t)) != t)
                mismatches++;

        // 02:00-03:00 on 29 Oct exists twice; a wall clock cannot tell the copies apart (4 quarter hours).
        Assert.Equal(4, mismatches);
    }

    [Theory]
    [InlineData(-1, -1.0, "")]
    [InlineData(0, 0.0, "0")]
    [InlineData(1000, 1.0, "1")]
    [InlineData(500, 0.5, "0.5")]
    [InlineData(700, 0.7, "0.7")]
    [InlineData(250, 0.25, "0.25")]
    [InlineData(125, 0.125, "0.125")]
    public void Q_values_round_trip(int thousandths, double db, string text)
    {
        var q = QValue.FromThousandths(thousandths);

        Assert.Equal(db, q.ToDbValue());
        Assert.Equal(q, QValue.FromDbValue(q.ToDbValue()));
        Assert.Equal(q, QValue.FromDbValue((float)q.ToDbValue())); // FLOAT(10,2) comes back as a float
        Assert.Equal(text, q.ToString());
    }

    [Fact]
    public void Unspecified_q_sorts_after_every_explicit_q()
    {
        var sorted = new[] { QValue.Unspecified, QValue.FromThousandths(500), QValue.FromThousandths(0), QValue.FromThousandths(900) }
            .OrderDescending().ToArray();

        Assert.Equal([900, 500, 0, -1], sorted.Select(q => q.Thousandths));
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(1001)]
    public void Out_of_range_q_is_refused(int thousandths)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => QValue.FromThousandths(thousandths));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(MethodsCodec.AllMethods, null)]
    [InlineData(0x0001u, 1)]
    [InlineData(0x1FFFu, 0x1FFF)]
    [InlineData(0x80000001u, -2147483647)]
    public void Methods_are_stored_as_kamailio_stores_them(uint? methods, int? stored)
    {
        Assert.Equal(stored, MethodsCodec.ToDb(methods));
        Assert.Equal(methods is MethodsCodec.AllMethods ? null : methods, MethodsCodec.FromDb(MethodsCodec.ToDb(methods)));
    }

    [Fact]
    public void A_null_column_means_all_methods()
    {
        Assert.Null(MethodsCodec.FromDb(null));
        Assert.Null(MethodsCodec.FromDb(-1)); // 0xFFFFFFFF written as a number by someone else is still "all"
    }
}
