using LocationActors.Storage;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>How a usrloc domain (a table) is stored, as in p_usrloc's <c>domain_db</c>.</summary>
public enum DomainKind
{
    /// <summary>Partitioned over the location groups of <c>locdb</c>.</summary>
    Cluster,

    /// <summary>Kept whole on one database (the default database, or the domain's own URL).</summary>
    Single,
}

/// <summary>
/// A usrloc domain: its table name, how it is stored, and for a single domain the database that holds it. The group id
/// of a single domain is always <see cref="SingleGroupId"/>: one actor serves all of its users.
/// </summary>
public sealed record UsrlocDomain(string Table, DomainKind Kind, DatabaseUrl? Url = null)
{
    public const int SingleGroupId = 0;

    public const string DefaultTable = "location";

    /// <summary>
    /// Parses p_usrloc's <c>domain_db</c> grammar: <c>name=type[;url]</c> items separated by commas, type
    /// <c>cluster</c> or <c>single</c>, e.g. <c>location=cluster,cfa=single</c>. A single domain without a URL lives on
    /// <paramref name="defaultUrl"/> (p_usrloc's <c>default_db_url</c>).
    /// </summary>
    /// <exception cref="FormatException">The text is malformed; the message names the item.</exception>
    public static IReadOnlyList<UsrlocDomain> ParseList(string text, DatabaseUrl defaultUrl)
    {
        var domains = new List<UsrlocDomain>();
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = item.IndexOf('=');
            if (eq <= 0)
                throw new FormatException($"'{DatabaseUrl.Mask(item)}' is not name=type[;url]");
            var name = item[..eq].Trim();
            if (name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                throw new FormatException($"'{name}' is not a table name (letters, digits, '_')");
            var rest = item[(eq + 1)..];
            var semicolon = rest.IndexOf(';');
            var type = (semicolon < 0 ? rest : rest[..semicolon]).Trim();
            var url = semicolon < 0 ? null : rest[(semicolon + 1)..].Trim();
            var kind = type switch
            {
                "cluster" => DomainKind.Cluster,
                "single" => DomainKind.Single,
                _ => throw new FormatException($"domain {name}: type '{type}' is neither cluster nor single"),
            };
            if (kind == DomainKind.Cluster && url is not null)
                throw new FormatException($"domain {name}: a cluster domain takes its databases from locdb, not a URL");
            if (domains.Any(d => d.Table == name))
                throw new FormatException($"domain {name} is listed twice");
            DatabaseUrl? parsed = null;
            if (kind == DomainKind.Single)
            {
                if (url is null)
                    parsed = defaultUrl;
                else if (!DatabaseUrl.TryParse(url, out parsed, out var error))
                    throw new FormatException($"domain {name}: {error}");
            }

            domains.Add(new UsrlocDomain(name, kind, parsed));
        }

        return domains.Count > 0 ? domains : throw new FormatException("no usrloc domain is configured");
    }
}
