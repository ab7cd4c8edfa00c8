using System.Diagnostics;
using System.Text.RegularExpressions;
using LocationActors.TestSupport;

namespace LocationActors.Kamailio.Tests;

/// <summary>
/// A phone on one UDP socket that asks one thing at a time and matches each answer by Call-ID and CSeq, so a late
/// answer to an earlier request (a server that was frozen, a retransmitted 302) is never taken for the next one.
/// No answer within the time limit is reported as null: under faults that is a request nobody acknowledged.
/// </summary>
internal sealed partial class SipPhone(int serverPort, TimeSpan? limit = null) : IDisposable
{
    private readonly SipUdpPeer _peer = new(serverPort);
    private readonly TimeSpan _limit = limit ?? TimeSpan.FromSeconds(8);

    /// <summary>The final status of a REGISTER, or null when none came in time.</summary>
    public async Task<int?> RegisterAsync(string user, string callId, int cseq, string contact, int expires) =>
        await AskAsync(SipText.Register(_peer.Port, user, callId, cseq, contact, $"Expires: {expires}\r\n"), callId, $"{cseq} REGISTER") is { } answer
            ? SipText.Status(answer)
            : null;

    /// <summary>The contacts an INVITE for the user is redirected to (empty for 404), or null for any other answer or none.</summary>
    public async Task<IReadOnlyList<string>?> LookupAsync(string user)
    {
        var callId = "lookup-" + Guid.NewGuid().ToString("N")[..12];
        var answer = await AskAsync(SipText.Request("INVITE", $"sip:{user}@example.com", _peer.Port, callId: callId), callId, "1 INVITE");
        return answer is null ? null : SipText.Status(answer) switch
        {
            302 => SipText.Headers(answer, "Contact").SelectMany(Sip.SipHeaderNames.SplitValues).Select(c => UriOf().Match(c).Groups[1].Value).ToList(),
            404 => [],
            _ => null,
        };
    }

    private async Task<string?> AskAsync(string request, string callId, string cseq)
    {
        await _peer.SendAsync(request);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < _limit)
        {
            var answer = await _peer.ReceiveAsync(_limit - clock.Elapsed);
            if (answer is null)
                return null;
            if (answer.StartsWith("SIP/2.0 1", StringComparison.Ordinal) || SipText.Headers(answer, "Call-ID").FirstOrDefault() != callId ||
                SipText.Headers(answer, "CSeq").FirstOrDefault() != cseq)
                continue;
            return answer;
        }

        return null;
    }

    public void Dispose() => _peer.Dispose();

    [GeneratedRegex("<([^>]+)>")]
    private static partial Regex UriOf();
}
