using System.Collections.Concurrent;
using LocationActors.Sip;

namespace LocationActors.Proxy.Sip;

/// <summary>
/// Server transactions (RFC 3261 §17.2), as much of them as a registrar and a redirect server need: a retransmitted
/// request gets the answer of the first (it is never handled twice, so a REGISTER is never written twice), an
/// INVITE's final answer is retransmitted on UDP until its ACK comes (timer G, from T1 = 0.5 s doubling up to
/// T2 = 4 s, for at most 64·T1), and a completed transaction is kept for 64·T1 = 32 s (timers H and J).
/// </summary>
public sealed class ServerTransactions : IDisposable
{
    private static readonly TimeSpan T1 = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan T2 = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Lifetime = 64 * T1;

    private readonly ConcurrentDictionary<string, Transaction> _transactions = new();
    private readonly Timer _sweep;

    public ServerTransactions() => _sweep = new Timer(_ => Sweep(), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));

    public int Count => _transactions.Count;

    /// <summary>
    /// The transaction of <paramref name="request"/>: a new one (the caller answers it), or the existing one of a
    /// retransmission. The key follows §17.2.3: the top Via's branch (with the magic cookie), its sent-by, and the
    /// method, ACK and CANCEL belonging to the INVITE's transaction; requests from RFC 2543 clients (no cookie) are
    /// matched by Call-ID, CSeq, From tag and sent-by.
    /// </summary>
    public (Transaction Transaction, bool IsNew) Begin(SipRequest request)
    {
        var transaction = new Transaction(request.Method == "INVITE");
        var existing = _transactions.GetOrAdd(KeyOf(request, request.Method), transaction);
        return (existing, ReferenceEquals(existing, transaction));
    }

    /// <summary>The INVITE transaction an ACK or CANCEL refers to, if it is still known.</summary>
    public Transaction? InviteOf(SipRequest request) => _transactions.GetValueOrDefault(KeyOf(request, "INVITE"));

    private static string KeyOf(SipRequest request, string method)
    {
        var via = request.Via[0];
        var sentBy = $"{via.Host}:{via.Port ?? 5060}";
        return via.Branch is { } branch && branch.StartsWith("z9hG4bK", StringComparison.Ordinal)
            ? $"{branch}|{sentBy}|{method}"
            : $"{request.CallId}|{request.CSeq.Number}|{request.From.Tag}|{sentBy}|{method}";
    }

    private void Sweep()
    {
        var now = DateTime.UtcNow;
        foreach (var (key, transaction) in _transactions)
            if (transaction.ExpiresAt < now)
                _transactions.TryRemove(key, out _);
    }

    public void Dispose() => _sweep.Dispose();

    /// <summary>One server transaction: its answer once there is one, and the retransmissions of an INVITE's final answer.</summary>
    public sealed class Transaction(bool invite)
    {
        private readonly CancellationTokenSource _acked = new();
        private volatile byte[]? _response;

        public bool IsInvite { get; } = invite;

        /// <summary>The answer, once sent; null while the request is being handled (a retransmission then gets nothing).</summary>
        public byte[]? Response => _response;

        internal DateTime ExpiresAt { get; private set; } = DateTime.UtcNow + Lifetime;

        /// <summary>Records the answer (sent by the caller) and keeps the transaction for timer J/H.</summary>
        public void Complete(byte[] response, Func<byte[], Task> resend, bool unreliable)
        {
            _response = response;
            ExpiresAt = DateTime.UtcNow + Lifetime;
            if (IsInvite && unreliable)
                _ = RetransmitAsync(response, resend);
        }

        /// <summary>The ACK for the final answer came: stop retransmitting it.</summary>
        public void Acknowledge() => _acked.Cancel();

        private async Task RetransmitAsync(byte[] response, Func<byte[], Task> resend)
        {
            var interval = T1;
            var until = DateTime.UtcNow + Lifetime;
            while (DateTime.UtcNow + interval < until)
            {
                // The ACK ends the wait early; not throwing on it matters, as nearly every INVITE's answer is ACKed.
                await Task.Delay(interval, _acked.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (_acked.IsCancellationRequested)
                    return;
                await resend(response);
                interval = interval * 2 < T2 ? interval * 2 : T2;
            }
        }
    }
}
