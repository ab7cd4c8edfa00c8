using System.Reflection;
using System.Text.RegularExpressions;
using LocationActors.Storage.Dialects;

namespace LocationActors.Storage.Schema;

/// <summary>
/// One of the scripts in the repository's <c>sql/</c> folder, embedded in this assembly so that a node can create
/// missing tables itself (the embedded default starts from empty files).
/// </summary>
internal sealed partial class SchemaScript(string name, string defaultTable)
{
    public static readonly SchemaScript Location = new("location-create.sql", "location");
    public static readonly SchemaScript Master = new("master-create.sql", "locdb");

    /// <summary>The script for the dialect, with the table (and its index names) renamed when it is not the default.</summary>
    public string Render(SqlDialect dialect, string table)
    {
        var resource = $"sql/{dialect.SchemaFolder}/{name}";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
                           ?? throw new InvalidOperationException($"schema script {resource} is not embedded");
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        return table == defaultTable ? text : new Regex($@"\b{defaultTable}(?=\b|_)").Replace(text, table);
    }
}
