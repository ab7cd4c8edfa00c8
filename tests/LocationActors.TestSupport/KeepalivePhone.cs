using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LocationActors.TestSupport;

/// <summary>
/// A phone's UDP socket for keepalive tests: it answers every SIP OPTIONS with 200 OK (unless <see cref="Mute"/>) and
/// records when each arrived and from where. The answer echoes Via, From, To, Call-ID and CSeq, as RFC 3261 §8.2.6 asks.
/// </summary>
public sealed class KeepalivePhone : IDisposable
{
    private readonly UdpClient _socket = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<(DateTime At, IPEndPoint From, string Text)> _options = new();

    public KeepalivePhone() => _ = Task.Run(ReceiveAsync);

    public int Port => ((IPEndPoint)_socket.Client.LocalEndPoint!).Port;

    /// <summary>A contact URI at this socket.</summary>
    public string Contact(string user) => $"sip:{user}@127.0.0.1:{Port}";

    /// <summary>When set, OPTIONS are received and recorded but not answered (a phone that went away).</summary>
    public bool Mute { get; set; }

    /// <summary>The status the OPTIONS are answered with (200 unless set).</summary>
    public int Status { get; set; } = 200;

    /// <summary>Every OPTIONS received: when, from where, and the request.</summary>
    public IReadOnlyList<(DateTime At, IPEndPoint From, string Text)> Options => _options.ToList();

    /// <summary>
    /// The OPTIONS sent to <paramref name="user"/>'s contact at this socket. Others may come: a contact of an earlier
    /// test whose phone had this port (the system gave it out again) is pinged until it is found dead, and a phone that
    /// answers keeps it alive.
    /// </summary>
    public IReadOnlyList<(DateTime At, IPEndPoint From, string Text)> OptionsFor(string user) =>
        _options.Where(o => o.Text.StartsWith($"OPTIONS {Contact(user)} SIP/2.0\r\n", StringComparison.Ordinal)).ToList();

    /// <summary>Sends a datagram from this socket (e.g. a REGISTER, so that a NAT binding would point here).</summary>
    public async Task SendAsync(string text, IPEndPoint to) => await _socket.SendAsync(Encoding.UTF8.GetBytes(text), to);

    /// <summary>Datagrams that were not OPTIONS (answers to what <see cref="SendAsync"/> sent).</summary>
    public ConcurrentQueue<string> Other { get; } = new();

    private async Task ReceiveAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult received;
            try
            {
                received = await _socket.ReceiveAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // an ICMP error for an earlier send
            }

            var text = Encoding.UTF8.GetString(received.Buffer);
            if (!text.StartsWith("OPTIONS ", StringComparison.Ordinal))
            {
                Other.Enqueue(text);
                continue;
            }

            _options.Enqueue((DateTime.UtcNow, received.RemoteEndPoint, text));
            if (Mute)
                continue;
            var answer = new StringBuilder($"SIP/2.0 {Status} {(Status == 200 ? "OK" : "Answer")}\r\n");
            foreach (var line in text.Split("\r\n"))
            {
                var name = line.Split(':', 2)[0].Trim();
                if (name is "Via" or "v" or "From" or "f" or "Call-ID" or "i" or "CSeq")
                    answer.Append(line).Append("\r\n");
                else if (name is "To" or "t")
                    answer.Append(line).Append(";tag=phone").Append("\r\n");
            }

            answer.Append("Content-Length: 0\r\n\r\n");
            try
            {
                await _socket.SendAsync(Encoding.UTF8.GetBytes(answer.ToString()), received.RemoteEndPoint);
            }
            catch (SocketException)
            {
                // the pinger went away
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
    }
}
