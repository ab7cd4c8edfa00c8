using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using LocationActors.TestSupport;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LocationActors.Proxy.Tests.StatusPage;

/// <summary>
/// The status page at <c>/ui</c> in a real browser (Debian's chromium, driven by Playwright) on a running deployment:
/// it shows the cluster as the API reports it, a member database that is killed turns off on the page, and the change
/// is listed among the events. The screenshot is saved beside the test binaries (status-page.png).
/// </summary>
[Trait(Tier.Name, Tier.Process)]
public sealed class StatusPageTests(StatusPageCluster cluster, ITestOutputHelper output) : IClassFixture<StatusPageCluster>
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly LocatorAssertionsToHaveTextOptions Soon = new() { Timeout = 15_000 };

    [Fact]
    public async Task The_page_shows_the_cluster_and_a_killed_member_turning_off()
    {
        Assert.True(File.Exists(Chromium), "chromium is not installed (apt-get install chromium; scripts/test.sh installs it)");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 } });
        var errors = new List<string>();
        // Errors of the page's own script. A failed resource is not one: /health/ready answers 503 while not ready.
        page.Console += (_, message) => { if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal)) errors.Add(message.Text); };
        page.PageError += (_, error) => errors.Add(error);

        await page.GotoAsync(cluster.ProxyUrl + "/"); // redirected to /ui

        Assert.EndsWith("/ui", page.Url);
        await Expect(page.Locator("#ready")).ToHaveTextAsync("ready", Soon);
        await Expect(page.Locator("#master")).ToHaveTextAsync("master reachable", Soon);
        await Expect(page.Locator("#nodes tbody tr")).ToHaveCountAsync(3);
        await Expect(page.Locator("#nodes tbody")).Not.ToContainTextAsync("Leaving");
        await Expect(page.Locator(".group")).ToHaveCountAsync(2);
        await Expect(page.Locator("[data-member='1/2'] .state")).ToHaveTextAsync("on", Soon);
        await Expect(page.Locator("[data-member='2/1'] .state")).ToHaveTextAsync("on", Soon);
        // Member URLs are shown without their password.
        await Expect(page.Locator("#groups")).Not.ToContainTextAsync(cluster.Servers.Password);

        // A registration the page counts among the contacts of its group.
        var registered = await cluster.Http.PostAsJsonAsync("/v1/aors/page-user", new { contacts = new[] { new { uri = "sip:page-user@192.0.2.90:5060" } } });
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        var group = (await ProxiedCluster.JsonAsync(registered)).GetProperty("group").GetInt32();
        await Expect(page.Locator($"[data-group='location/{group}'] h3")).ToContainTextAsync("1 contacts", new() { Timeout = 15_000 });

        await cluster.KillMemberServerAsync();
        // Writes to group 1 fail on the dead member until the group turns it off (2 errors).
        var off = page.Locator("[data-member='1/2'] .state");
        for (var i = 0; i < 60 && await off.TextContentAsync() != "off"; i++)
        {
            await cluster.Http.PostAsJsonAsync($"/v1/aors/page-user-{i}", new { contacts = new[] { new { uri = $"sip:page-user-{i}@192.0.2.91:5060" } } });
            await Task.Delay(500);
        }

        await Expect(off).ToHaveTextAsync("off", Soon);
        await Expect(page.Locator("[data-member='1/1'] .state")).ToHaveTextAsync("on");
        // The member missed writes first (catching up), then reached the error threshold.
        await Expect(page.Locator("#events")).ToContainTextAsync(new Regex("member 1/2: (on|catching up) → off"), new() { Timeout = 5_000 });

        var screenshot = Path.Combine(AppContext.BaseDirectory, "status-page.png");
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        output.WriteLine($"screenshot: {screenshot}");
        Assert.True(new FileInfo(screenshot).Length > 10_000);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Maintenance_from_the_page_needs_the_admin_token()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(cluster.ProxyUrl + "/ui");
        var member = page.Locator("[data-member='2/2']");
        await Expect(member.Locator(".state")).ToHaveTextAsync("on", Soon);

        await page.FillAsync("#token", "not-the-token");
        await member.GetByRole(AriaRole.Button, new() { Name = "Maintenance" }).ClickAsync();
        await Expect(page.Locator("#events")).ToContainTextAsync("Maintenance of member 2/2 refused", new() { Timeout = 5_000 });

        await page.FillAsync("#token", ProxiedCluster.AdminToken);
        await member.GetByRole(AriaRole.Button, new() { Name = "Maintenance" }).ClickAsync();
        await Expect(member.Locator(".state")).ToHaveTextAsync("maintenance", Soon);

        await member.GetByRole(AriaRole.Button, new() { Name = "Activate" }).ClickAsync();
        await Expect(member.Locator(".state")).Not.ToHaveTextAsync("maintenance", Soon);
    }
}
