using System.Net;
using LocationActors.Cluster.ProxyLinks;
using LocationActors.Proxy.Sip;
using LocationActors.Sip;
using LocationActors.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace LocationActors.Proxy.Tests;

/// <summary>The keepalive OPTIONS a proxy sends, where it sends them, and how answers are matched, over a real UDP socket.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class KeepalivePingerTests
{
    private static readonly IPEndPoint Local = new(IPAddress.Loopback, 5099);

    [Fact]
    public void The_OPTIONS_is_a_request_the_parser_accepts_to_the_contact_through_its_Path()
    {
        var target = new PingTarget("r1", "alice", "sip:alice@10.0.0.7:5060", "<sip:192.0.2.10:5060;lr;received=sip:198.51.100.7:40000>", null, null);
        var parsed = SipParser.Parse(KeepalivePinger.Options(target, "la-ka-0123456789abcdef0123", Local));
        Assert.True(parsed.Ok, parsed.Error);
        var request = parsed.Request!;
        Assert.Equal("OPTIONS", request.Method);
        Assert.Equal("sip:alice@10.0.0.7:5060", request.RequestUri.Raw);
        Assert.Equal("la-ka-0123456789abcdef0123", request.CallId);
        Assert.Equal("<sip:192.0.2.10:5060;lr;received=sip:198.51.100.7:40000>", request.Header("Route"));
        Assert.Equal("127.0.0.1", request.Via[0].Host);
        Assert.Equal(5099, request.Via[0].Port);
        Assert.StartsWith("z9hG4bK", request.Via[0].Branch);
        Assert.Null(SipParser.Parse(KeepalivePinger.Options(target with { Path = null }, "la-ka-0123456789abcdef0123", Local)).Request!.Header("Route"));
    }

    [Theory]
    [InlineData("sip:a@10.0.0.7:5070", null, null, "10.0.0.7:5070")]
    [InlineData("sip:a@10.0.0.7", null, null, "10.0.0.7:5060")]
    [InlineData("sip:a@10.0.0.7:5070", "sip:198.51.100.7:40000", null, "198.51.100.7:40000")]
    [InlineData("sip:a@10.0.0.7:5070", "sip:198.51.100.7:40000", "<sip:192.0.2.10:5080;lr>, <sip:192.0.2.11;lr>", "192.0.2.10:5080")]
    [InlineData("sip:a@[2001:db8::7]:5070", null, null, "[2001:db8::7]:5070")]
    public async Task A_ping_goes_to_the_Paths_first_hop_else_the_received_address_else_the_contact(string contact, string? received, string? path,
        string expected) =>
        Assert.Equal(IPEndPoint.Parse(expected), await KeepalivePinger.DestinationOf(new PingTarget("r", "a", contact, path, received, null)));

    [Fact]
    public async Task A_phone_that_answers_even_with_an_error_counts_as_answered_and_a_mute_one_as_missed()
    {
        using var live = new KeepalivePhone { Status = 503 }; // any answer proves it is there, as in Kamailio
        using var mute = new KeepalivePhone { Mute = true };
        using var socket = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var pinger = new KeepalivePinger(NullLogger<KeepalivePinger>.Instance);
        pinger.Attach((IPEndPoint)socket.Client.LocalEndPoint!, async (bytes, to) => await socket.SendAsync(bytes, to));
        using var stop = new CancellationTokenSource();
        var receiving = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    if (SipParser.Parse((await socket.ReceiveAsync(stop.Token)).Buffer).Response is { } response)
                        pinger.Received(response);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });

        var answered = await pinger.PingAsync(new PingContacts(1,
            [new PingTarget("live", "a", live.Contact("a"), null, null, null), new PingTarget("mute", "b", mute.Contact("b"), null, null, null),
             new PingTarget("nowhere", "c", "sip:c@unresolvable.invalid", null, null, null)], 1500));
        Assert.Equal(["live"], answered.Answered);
        Assert.Equal(["mute", "nowhere"], answered.Unanswered);
        Assert.Single(live.Options);
        Assert.Single(mute.Options);
        Assert.Equal([$"udp:{socket.Client.LocalEndPoint}"], pinger.Sockets);
        await stop.CancelAsync();
        await receiving;
    }
}
