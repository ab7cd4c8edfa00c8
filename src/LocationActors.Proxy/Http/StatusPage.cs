using System.Reflection;

namespace LocationActors.Proxy.Http;

/// <summary>
/// The operator's status page at <c>/ui</c>: three static files (status.html, .css, .js) built into the proxy, which
/// poll the proxy's own API. Served with a policy that lets the page load nothing but these files and the API.
/// </summary>
public static class StatusPage
{
    private static readonly Dictionary<string, (byte[] Bytes, string ContentType)> Files = new()
    {
        ["/ui"] = (Read("status.html"), "text/html; charset=utf-8"),
        ["/ui/status.css"] = (Read("status.css"), "text/css; charset=utf-8"),
        ["/ui/status.js"] = (Read("status.js"), "text/javascript; charset=utf-8"),
    };

    public static void MapStatusPage(this WebApplication app)
    {
        app.MapGet("/", () => Results.Redirect("/ui"));
        foreach (var (path, (bytes, contentType)) in Files)
            app.MapGet(path, (HttpContext http) =>
            {
                http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'";
                http.Response.Headers.XContentTypeOptions = "nosniff";
                http.Response.Headers.CacheControl = "no-cache";
                return Results.Bytes(bytes, contentType);
            });
    }

    private static byte[] Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"LocationActors.Proxy.StatusPage.{name}")
            ?? throw new InvalidOperationException($"the status page's {name} is not built into the proxy");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
