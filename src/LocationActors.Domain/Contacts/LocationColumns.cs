namespace LocationActors.Domain.Contacts;

/// <summary>
/// Column sizes of Kamailio's <c>location</c> table (version 9). Values longer than these are refused before they
/// reach a database: MariaDB in strict mode would fail the whole batch, a lax one would truncate silently.
/// </summary>
public static class LocationColumns
{
    public const int Ruid = 64;
    public const int Username = 64;
    public const int Domain = 64;
    public const int Contact = 512;
    public const int Received = 128;
    public const int Path = 512;
    public const int CallId = 255;
    public const int UserAgent = 255;
    public const int Socket = 64;
    public const int Instance = 255;
}
