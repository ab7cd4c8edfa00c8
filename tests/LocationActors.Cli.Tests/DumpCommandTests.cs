using Microsoft.AspNetCore.Http;
using LocationActors.TestSupport;

namespace LocationActors.Cli.Tests;

[Trait(Tier.Name, Tier.Unit)]
public class DumpCommandTests
{
    private static readonly string[] Contacts = Enumerable.Range(0, 3000)
        .Select(i => $$"""{"aor":"user{{i}}","group":{{1 + i / 1500}},"table":"location","uri":"sip:user{{i}}@192.0.2.1:5060","expires":{{i % 7}},"q":0.5,"ruid":"r{{i}}"}""")
        .ToArray();

    [Fact]
    public async Task Ndjson_copies_the_lines_as_they_arrive()
    {
        var firstHalfPrinted = new TaskCompletionSource();
        var output = new WatchingWriter(Contacts[1499], firstHalfPrinted);
        await using var proxy = await FakeProxy.StartAsync(async context =>
        {
            context.Response.ContentType = "application/x-ndjson";
            foreach (var line in Contacts[..1500])
                await context.Response.WriteAsync(line + "\n");
            await context.Response.Body.FlushAsync();

            // The rest only once locctl has printed the first half: a client that waits for the whole body never sees it.
            if (await Task.WhenAny(firstHalfPrinted.Task, Task.Delay(TimeSpan.FromSeconds(10))) != firstHalfPrinted.Task)
            {
                await context.Response.WriteAsync("""{"error": "locctl printed nothing before the end of the body"}""" + "\n");
                return;
            }

            foreach (var line in Contacts[1500..])
                await context.Response.WriteAsync(line + "\n");
        });

        var error = new StringWriter();
        var code = await LocCtl.RunAsync(["dump", "--url", proxy.Url], output, error);

        Assert.Equal((0, ""), (code, error.ToString()));
        Assert.Equal(Contacts, Cli.Lines(output.ToString()));
        Assert.Equal(("GET", "/v1/dump"), (proxy.Request.Method, proxy.Request.Target));
    }

    [Fact]
    public async Task Table_prints_aligned_columns()
    {
        await using var proxy = await NdjsonProxy(Contacts[..3].Append(
            """{"aor":"a-rather-long-aor-name","group":12,"table":"location","uri":"sip:x@192.0.2.9","expires":3600}"""));

        var (code, output, error) = await Cli.RunAsync("dump", "--format", "table", "--url", proxy.Url);

        Assert.Equal((0, ""), (code, error));
        var lines = Cli.Lines(output);
        Assert.Equal(5, lines.Length);
        var header = lines[0];
        Assert.Matches("^AOR +GROUP +URI +EXPIRES +Q$", header);
        Assert.Matches(@"^user0 +1 +sip:user0@192\.0\.2\.1:5060 +permanent +0\.5$", lines[1]);
        Assert.Matches(@"^user2 +1 +sip:user2@192\.0\.2\.1:5060 +2 +0\.5$", lines[3]);
        Assert.Matches(@"^a-rather-long-aor-name +12 +sip:x@192\.0\.2\.9 +3600$", lines[4]);
        foreach (var row in lines[1..])
        {
            Assert.Equal(header.IndexOf("URI"), row.IndexOf("sip:"));
            Assert.True(char.IsDigit(row[header.IndexOf("GROUP") + "GROUP".Length - 1])); // numbers right-aligned under GROUP
        }
    }

    [Fact]
    public async Task An_error_line_goes_to_stderr_and_exits_3_after_the_lines_before_it()
    {
        await using var proxy = await NdjsonProxy(Contacts[..2].Append("""{"error": "group 3 does not answer; retry later", "group": 3}"""));

        var (code, output, error) = await Cli.RunAsync("dump", "--url", proxy.Url);

        Assert.Equal(LocCtl.Unavailable, code);
        Assert.Equal(Contacts[..2], Cli.Lines(output));
        Assert.Equal("locctl: the dump is incomplete: group 3 does not answer; retry later (group 3)", error);
    }

    [Fact]
    public async Task A_terminal_on_stderr_shows_the_count_and_stdout_stays_the_data()
    {
        await using var proxy = await NdjsonProxy(Contacts);

        var (code, output, error) = await Cli.RunOnAsync(outputIsTerminal: false, errorIsTerminal: true, "dump", "--url", proxy.Url);

        Assert.Equal(0, code);
        Assert.Equal(Contacts, Cli.Lines(output));
        Assert.Contains("dumped 3000 contact(s) of 2 group(s)", error);
    }

    [Theory]
    [InlineData(false, false)] // redirected: no progress output
    [InlineData(true, true)]   // both on one terminal: a live display would garble the lines
    public async Task Otherwise_stderr_stays_empty(bool outputIsTerminal, bool errorIsTerminal)
    {
        await using var proxy = await NdjsonProxy(Contacts);

        var (code, output, error) = await Cli.RunOnAsync(outputIsTerminal, errorIsTerminal, "dump", "--url", proxy.Url);

        Assert.Equal((0, ""), (code, error));
        Assert.Equal(Contacts.Length, Cli.Lines(output).Length);
    }

    [Fact]
    public async Task A_stream_that_stalls_longer_than_the_timeout_exits_3()
    {
        await using var proxy = await FakeProxy.StartAsync(async context =>
        {
            await context.Response.WriteAsync(Contacts[0] + "\n");
            await context.Response.Body.FlushAsync();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(20), context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // locctl gave up, as it should
            }
        });

        // The timeout also covers the first line: long enough for a busy machine to deliver it, far below the stall.
        var (code, output, error) = await Cli.RunAsync("dump", "--timeout", "3", "--url", proxy.Url);

        Assert.Equal((LocCtl.Unavailable, Contacts[0]), (code, output));
        Cli.AssertOneLineError(error, "sent no line of /v1/dump for 3 s");
    }

    private static Task<FakeProxy> NdjsonProxy(IEnumerable<string> lines) => FakeProxy.StartAsync(async context =>
    {
        context.Response.ContentType = "application/x-ndjson";
        foreach (var line in lines)
            await context.Response.WriteAsync(line + "\n");
    });

    /// <summary>Completes <paramref name="printed"/> once the line <paramref name="awaited"/> has been written.</summary>
    private sealed class WatchingWriter(string awaited, TaskCompletionSource printed) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value == awaited)
                printed.TrySetResult();
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }
    }
}
