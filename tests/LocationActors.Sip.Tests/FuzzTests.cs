using System.Text;
using LocationActors.TestSupport;

namespace LocationActors.Sip.Tests;

/// <summary>
/// Property tests with a fixed seed: random bytes and random mutations of the valid corpus never make the parser or
/// the framer throw, and every result is coherent (a message or an error, never both or neither).
/// </summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class FuzzTests
{
    private static readonly byte[] SipAlphabet = Encoding.ASCII.GetBytes("REGISTERINVITEsip:@;=<>\",. \r\n\t/SIP2.0 0123456789[]?&%*\\'abcxyz-+:");

    private static readonly byte[] Interesting = [0, (byte)'\r', (byte)'\n', (byte)' ', (byte)'\t', (byte)':', (byte)';', (byte)',', (byte)'"', (byte)'<', (byte)'>',
        (byte)'\\', (byte)'[', (byte)']', (byte)'@', (byte)'%', (byte)'=', (byte)'*', (byte)'9', 0x7F, 0x80, 0xFF];

    private static readonly byte[][] Seeds = SipCorpus.All.Where(c => c.Valid && c.Bytes.Length < 20_000).Select(c => c.Bytes).ToArray();

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(20240611);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 600)];
            if (i % 2 == 0)
                random.NextBytes(bytes);
            else
                for (var j = 0; j < bytes.Length; j++)
                    bytes[j] = SipAlphabet[random.Next(SipAlphabet.Length)];
            Check(bytes, random);
        }
    }

    [Fact]
    public void Mutated_corpus_messages_never_throw()
    {
        var random = new Random(5060);
        int ok = 0, failed = 0;
        for (var i = 0; i < 60_000; i++)
        {
            var bytes = Seeds[random.Next(Seeds.Length)].ToList();
            for (var m = random.Next(1, 5); m > 0; m--)
                Mutate(bytes, random);
            var result = Check(bytes.ToArray(), random);
            if (result.Ok)
                ok++;
            else
                failed++;
        }
        // The mutations must exercise both outcomes, or they test nothing.
        Assert.True(ok > 2_000, $"{ok} mutated messages parsed");
        Assert.True(failed > 5_000, $"{failed} mutated messages failed");
    }

    [Fact]
    public void Parsing_is_deterministic_and_raw_uris_are_received_text()
    {
        var random = new Random(3261);
        for (var i = 0; i < 5_000; i++)
        {
            var bytes = Seeds[random.Next(Seeds.Length)].ToList();
            Mutate(bytes, random);
            var array = bytes.ToArray();
            var first = SipParser.Parse(array);
            var second = SipParser.Parse(array);
            Assert.Equal(first.Error, second.Error);
            if (first.Request is { } request)
            {
                var text = Encoding.Latin1.GetString(array);
                Assert.Contains($" {request.RequestUri.Raw} ", text);
                Assert.Contains(request.Method, text);
            }
        }
    }

    private static SipParseResult Check(byte[] bytes, Random random)
    {
        var result = SipParser.Parse(bytes);
        Invariants.Hold(result);
        Invariants.Hold(SipParser.Parse(bytes, random.Next(0, bytes.Length + 2)));

        CheckFrame(bytes, SipFraming.Next(bytes));
        CheckFrame(bytes, SipFraming.Next(bytes, random.Next(0, 200)));
        var cut = random.Next(0, bytes.Length + 1);
        CheckFrame(bytes.AsSpan(0, cut), SipFraming.Next(bytes.AsSpan(0, cut)));
        return result;
    }

    private static void CheckFrame(ReadOnlySpan<byte> buffer, SipFrame frame)
    {
        Assert.InRange(frame.Start, 0, buffer.Length);
        Assert.InRange(frame.Length, 0, buffer.Length - frame.Start);
        if (frame.Error is not null)
            Assert.Equal(0, frame.Length);
        if (frame.Length > 0)
            Invariants.Hold(SipParser.Parse(buffer.Slice(frame.Start, frame.Length)));
    }

    private static void Mutate(List<byte> bytes, Random random)
    {
        var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
        switch (random.Next(7))
        {
            case 0 when bytes.Count > 0: // flip a bit
                bytes[at] ^= (byte)(1 << random.Next(8));
                break;
            case 1 when bytes.Count > 0: // an interesting byte
                bytes[at] = Interesting[random.Next(Interesting.Length)];
                break;
            case 2: // truncate
                bytes.RemoveRange(at, bytes.Count - at);
                break;
            case 3: // insert random bytes
                bytes.InsertRange(at, Enumerable.Range(0, random.Next(1, 8)).Select(_ => random.Next(2) == 0 ? (byte)random.Next(256) : Interesting[random.Next(Interesting.Length)]));
                break;
            case 4: // duplicate a range
                var length = random.Next(0, Math.Min(200, bytes.Count - at) + 1);
                bytes.InsertRange(random.Next(bytes.Count + 1), bytes.GetRange(at, length));
                break;
            case 5: // delete a range
                bytes.RemoveRange(at, random.Next(0, Math.Min(40, bytes.Count - at) + 1));
                break;
            default: // swap two bytes
                if (bytes.Count > 1)
                {
                    var other = random.Next(bytes.Count);
                    (bytes[at], bytes[other]) = (bytes[other], bytes[at]);
                }
                break;
        }
    }
}
