using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Storage.Tests;

[Trait(Tier.Name, Tier.Unit)]
public class DatabaseUrlTests
{
    [Theory]
    [InlineData("mysql://kamailio:kamailiorw@10.0.0.10/kamailio", "kamailio", "kamailiorw", "10.0.0.10", 3306, "kamailio")]
    [InlineData("mysql://u:p@db1:3407/loc_g1", "u", "p", "db1", 3407, "loc_g1")]
    [InlineData("MYSQL://u:p@db1/loc", "u", "p", "db1", 3306, "loc")]
    [InlineData("mysql://u@db1/loc", "u", null, "db1", 3306, "loc")]
    [InlineData("mysql://db1/loc", null, null, "db1", 3306, "loc")]
    [InlineData("mysql://u:p@ss:w/rd@db1:3306/loc", "u", "p@ss:w/rd", "db1", 3306, "loc")] // the host follows the last '@'
    [InlineData("mysql://u:p@[::1]:3307/loc", "u", "p", "::1", 3307, "loc")]
    public void Kamailio_mysql_urls_parse(string text, string? user, string? password, string host, int port, string database)
    {
        var url = DatabaseUrl.Parse(text);

        Assert.Equal(DatabaseKind.MySql, url.Kind);
        Assert.Equal((user, password, host, port, database), (url.User, url.Password, url.Host, url.Port, url.Database));
        Assert.Equal(text, url.Original);
    }

    [Theory]
    [InlineData("postgres://kamailio:kamailiorw@10.0.0.10/kamailio", "kamailio", "kamailiorw", "10.0.0.10", 5432, "kamailio")]
    [InlineData("postgres://u:p@db1:5507/loc_g1", "u", "p", "db1", 5507, "loc_g1")]
    [InlineData("POSTGRES://u:p@ss@db1/loc", "u", "p@ss", "db1", 5432, "loc")]
    [InlineData("postgres://u:p@[::1]:5433/loc", "u", "p", "::1", 5433, "loc")]
    public void Kamailio_postgres_urls_parse(string text, string? user, string? password, string host, int port, string database)
    {
        var url = DatabaseUrl.Parse(text);

        Assert.Equal(DatabaseKind.Postgres, url.Kind);
        Assert.Equal((user, password, host, port, database), (url.User, url.Password, url.Host, url.Port, url.Database));
        Assert.Equal("postgres://u:***@db1:5507/loc_g1", DatabaseUrl.Parse("postgres://u:secret@db1:5507/loc_g1").ToString());
    }

    [Theory]
    [InlineData("sqlite:///var/lib/la/master.db", "/var/lib/la/master.db")]
    [InlineData("sqlite://data/loc_g1.db", "data/loc_g1.db")]
    public void Sqlite_urls_name_a_file(string text, string path)
    {
        var url = DatabaseUrl.Parse(text);

        Assert.Equal(DatabaseKind.Sqlite, url.Kind);
        Assert.Equal(path, url.Database);
    }

    [Theory]
    [InlineData("mysql://u:secret@db1:3306/loc", "mysql://u:***@db1:3306/loc")]
    [InlineData("mysql://u:p@ss@db1/loc", "mysql://u:***@db1/loc")]
    [InlineData("mysql://u@db1/loc", "mysql://u@db1/loc")]
    [InlineData("sqlite:///x.db", "sqlite:///x.db")]
    public void Passwords_are_masked_in_text(string text, string masked)
    {
        Assert.Equal(masked, DatabaseUrl.Parse(text).ToString());
    }

    [Theory]
    [InlineData("", "the URL is empty")]
    [InlineData("   ", "the URL is empty")]
    [InlineData("postgresql://u:p@db/loc", "the scheme must be mysql://, postgres:// or sqlite://")]
    [InlineData("oracle://u:p@db/loc", "the scheme must be mysql://, postgres:// or sqlite://")]
    [InlineData("db1/loc", "the scheme must be mysql://, postgres:// or sqlite://")]
    [InlineData("postgres://u:p@db1", "the database name is missing (postgres://user:pass@host[:port]/db)")]
    [InlineData("mysql://u:p@db1", "the database name is missing")]
    [InlineData("mysql://u:p@db1/", "the database name is missing")]
    [InlineData("mysql://u:p@/loc", "the host is missing")]
    [InlineData("mysql://:p@db1/loc", "the user name before '@' is empty")]
    [InlineData("mysql://u:p@db1:port/loc", "'port' is not a port number")]
    [InlineData("mysql://u:p@db1:70000/loc", "'70000' is not a port number")]
    [InlineData("mysql://u:p@db1:0/loc", "'0' is not a port number")]
    [InlineData("mysql://u:p@db1/lo c", "is not a database name")]
    [InlineData("mysql://u:p@db1/loc;drop", "is not a database name")]
    [InlineData("mysql://u:p@[::1/loc", "lacks its closing ']'")]
    [InlineData("sqlite://", "needs a file path")]
    public void Malformed_urls_are_typed_errors_that_say_why(string text, string reason)
    {
        var error = Assert.Throws<StorageException>(() => DatabaseUrl.Parse(text));

        Assert.Equal(StorageErrorKind.InvalidUrl, error.Kind);
        Assert.Contains(reason, error.Message);
        Assert.False(error.IsTransient);
        Assert.False(DatabaseUrl.TryParse(text, out _, out var message));
        Assert.Contains(reason, message);
    }

    [Fact]
    public void A_malformed_url_never_shows_its_password()
    {
        var error = Assert.Throws<StorageException>(() => DatabaseUrl.Parse("mysql://u:topsecret@db1:99999/loc"));

        Assert.DoesNotContain("topsecret", error.Message);
        Assert.Contains("mysql://u:***@db1:99999/loc", error.Message);
    }

    [Fact]
    public void A_table_name_that_could_escape_its_quotes_is_refused()
    {
        var url = DatabaseUrl.Parse("sqlite:///tmp/x.db");

        var error = Assert.Throws<StorageException>(() => new LocationDatabase(url, table: "location`; DROP TABLE x; --"));
        Assert.Contains("is not a table name", error.Message);
    }
}
