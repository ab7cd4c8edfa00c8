using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using LocationActors.Proxy.Configuration;
using LocationActors.Sip;
using Microsoft.Extensions.Logging;

namespace LocationActors.Proxy.Sip;

/// <summary>
/// The SIP listener on UDP and TCP. Receiving never waits on the cluster: each request is handled on its own task
/// (at most <see cref="SipOptions.MaxPending"/> at once; beyond that 503 at once), and whatever a peer sends —
/// garbage, a half message, a flood of malformed ones — ends in a 400 (when the request can be answered at all) or
/// is dropped, and the next request is read.
/// </summary>
public sealed class SipServer : IAsyncDisposable
{
    private readonly SipOptions _options;
    private readonly SipRequestHandler _handler;
    private readonly ILogger _log;
    private readonly ServerTransactions _transactions = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Socket _udp;
    private readonly TcpListener _tcp;
    private readonly List<Task> _loops = [];
    private int _pending;
    private volatile bool _draining;
    private long _lastMessageAt; // Stopwatch timestamp of the last message received, for the drain

    private readonly KeepalivePinger? _pinger;

    public SipServer(SipOptions options, SipRequestHandler handler, ILogger log, KeepalivePinger? pinger = null)
    {
        _options = options;
        _handler = handler;
        _log = log;
        _pinger = pinger;
        _udp = new Socket(options.Endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _tcp = new TcpListener(options.Endpoint);
    }

    /// <summary>Where it listens (UDP and TCP on the same port).</summary>
    public IPEndPoint Endpoint => (IPEndPoint)_udp.LocalEndPoint!;

    public void Start()
    {
        _udp.ReceiveBufferSize = 4 * 1024 * 1024; // bursts of REGISTERs wait in the kernel, not on the floor
        _udp.Bind(_options.Endpoint);
        _tcp.Start();
        _pinger?.Attach(Endpoint, SendUdpAsync);
        _loops.Add(Task.Run(ReceiveUdpAsync));
        _loops.Add(Task.Run(AcceptTcpAsync));
    }

    private async Task ReceiveUdpAsync()
    {
        var buffer = new byte[65_535];
        var local = Endpoint;
        EndPoint any = new IPEndPoint(local.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException e)
            {
                // e.g. an ICMP port unreachable for an earlier answer: nothing to do with the next datagram.
                _log.LogDebug("SIP UDP receive: {Error}", e.SocketErrorCode);
                continue;
            }

            var remote = (IPEndPoint)received.RemoteEndPoint;
            var message = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
            Volatile.Write(ref _lastMessageAt, Stopwatch.GetTimestamp());
            _ = HandleAsync(message, new SipSource("UDP", remote, local), bytes => SendUdpAsync(bytes, remote));
        }
    }

    private async Task SendUdpAsync(byte[] bytes, IPEndPoint remote)
    {
        try
        {
            await _udp.SendToAsync(bytes, SocketFlags.None, remote);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            _log.LogDebug("SIP UDP send to {Remote}: {Error}", remote, e.Message);
        }
    }

    private async Task AcceptTcpAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _tcp.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException e)
            {
                _log.LogDebug("SIP TCP accept: {Error}", e.SocketErrorCode);
                continue;
            }

            _ = ServeTcpAsync(client);
        }
    }

    /// <summary>One TCP connection: messages framed by Content-Length, answers written back in order of completion.</summary>
    private async Task ServeTcpAsync(TcpClient client)
    {
        using var connection = client;
        client.NoDelay = true;
        var remote = (IPEndPoint)client.Client.RemoteEndPoint!;
        var local = (IPEndPoint)client.Client.LocalEndPoint!;
        var stream = client.GetStream();
        var writeLock = new SemaphoreSlim(1, 1);
        async Task Send(byte[] bytes)
        {
            await writeLock.WaitAsync();
            try
            {
                await stream.WriteAsync(bytes);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // the peer went away; its answer has nowhere to go
            }
            finally
            {
                writeLock.Release();
            }
        }

        var buffer = new byte[_options.MaxMessageSize + 4];
        var filled = 0;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled), _stop.Token);
                if (read == 0)
                    return;
                filled += read;
                while (true)
                {
                    var frame = SipFraming.Next(buffer.AsSpan(0, filled), _options.MaxMessageSize);
                    if (frame.Error is not null)
                    {
                        // The stream cannot be cut into messages any more: answer what can be answered, then close.
                        var partial = SipParser.Parse(buffer.AsSpan(frame.Start, filled - frame.Start), _options.MaxMessageSize);
                        if (partial.Headers is { } fields && partial.Method is not "ACK" &&
                            SipResponses.BuildFromFields(fields, remote, 400, $"Bad Request ({frame.Error})", NewTag()) is { } answer)
                            await Send(answer);
                        _log.LogInformation("SIP TCP {Remote}: {Error}; closing the connection", remote, frame.Error);
                        return;
                    }

                    if (frame.Length == 0)
                    {
                        if (frame.Start > 0)
                        {
                            Buffer.BlockCopy(buffer, frame.Start, buffer, 0, filled - frame.Start);
                            filled -= frame.Start;
                        }

                        break;
                    }

                    var message = buffer.AsSpan(frame.Start, frame.Length).ToArray();
                    var consumed = frame.Start + frame.Length;
                    Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
                    filled -= consumed;
                    Volatile.Write(ref _lastMessageAt, Stopwatch.GetTimestamp());
                    _ = HandleAsync(message, new SipSource("TCP", remote, local), Send);
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // closed by the peer or by the server stopping
        }
    }

    /// <summary>One message, start to end. Never throws: a fault answers 500 and is logged.</summary>
    private async Task HandleAsync(byte[] message, SipSource source, Func<byte[], Task> send)
    {
        var parsed = SipParser.Parse(message, _options.MaxMessageSize);
        if (parsed.Response is { } response)
        {
            if (_pinger?.Received(response) != true)
                _log.LogDebug("SIP {Transport} {Remote}: a response that answers nothing sent from here", source.Transport, source.Remote);
            return;
        }
        if (parsed.Request is not { } request)
        {
            if (parsed.Headers is { } fields && parsed.Method is not "ACK" &&
                SipResponses.BuildFromFields(fields, source.Remote, 400, $"Bad Request ({parsed.Error})", NewTag()) is { } answer)
                await send(answer);
            _log.LogDebug("SIP {Transport} {Remote}: {Error}", source.Transport, source.Remote, parsed.Error);
            return;
        }

        if (request.Method is "ACK" or "CANCEL" && _transactions.InviteOf(request) is { } invite)
        {
            if (request.Method == "ACK")
            {
                invite.Acknowledge(); // the final answer arrived: stop retransmitting it
                return;
            }

            // The INVITE was answered at once (a redirect server has nothing to cancel): the CANCEL itself succeeds.
            await send(SipResponses.Build(request, source.Remote, 200, null, NewTag(), []));
            return;
        }

        var (transaction, isNew) = _transactions.Begin(request);
        if (!isNew)
        {
            if (transaction.Response is { } earlier)
                await send(earlier); // a retransmission: the same answer, nothing done twice
            return;
        }

        // Too much in hand, or stopping: 503 with Retry-After sends the phone or the edge proxy to another server.
        if (_draining || Interlocked.Increment(ref _pending) > _options.MaxPending)
        {
            if (!_draining)
                Interlocked.Decrement(ref _pending);
            var busy = SipResponses.Build(request, source.Remote, 503, null, NewTag(), [("Retry-After", "1")]);
            transaction.Complete(busy, send, unreliable: false);
            await send(busy);
            return;
        }

        try
        {
            SipAnswer? answer;
            try
            {
                answer = await _handler.HandleAsync(request, source, _stop.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _log.LogError(e, "SIP {Method} from {Remote} failed", request.Method, source.Remote);
                answer = SipAnswer.Of(500);
            }

            if (answer is null)
                return;
            var bytes = SipResponses.Build(request, source.Remote, answer.Status, answer.Reason, NewTag(), answer.Headers);
            transaction.Complete(bytes, send, unreliable: source.Transport == "UDP" && answer.Status >= 300);
            await send(bytes);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    private static string NewTag() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>How long nothing may arrive before a draining server closes: datagrams still queued in the kernel are read and answered first.</summary>
    private static readonly TimeSpan DrainQuiet = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// Takes no new requests (they are answered 503, so callers go elsewhere) and waits, up to <paramref name="within"/>,
    /// until the requests in hand are answered and nothing more is arriving: a request still queued on the socket is
    /// read and answered too. Retransmissions of answered ones are still answered meanwhile.
    /// </summary>
    public async Task DrainAsync(TimeSpan within, CancellationToken ct = default)
    {
        _draining = true;
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline && !ct.IsCancellationRequested &&
               (Volatile.Read(ref _pending) > 0 || _udp.Available > 0 || Stopwatch.GetElapsedTime(Volatile.Read(ref _lastMessageAt)) < DrainQuiet))
            await Task.Delay(20, CancellationToken.None);
        if (Volatile.Read(ref _pending) is var left and > 0)
            _log.LogWarning("SIP: stopping with {Pending} request(s) still unanswered after {Seconds} s", left, within.TotalSeconds);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _tcp.Stop();
        _udp.Dispose();
        await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        _transactions.Dispose();
    }
}
