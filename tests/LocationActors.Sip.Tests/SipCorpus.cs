using System.Text;

namespace LocationActors.Sip.Tests;

/// <summary>What a malformed message still gives the server.</summary>
public enum Answer
{
    /// <summary>Garbage: neither a method nor headers; the message is dropped.</summary>
    Drop,

    /// <summary>A request line was read but not the header section: the method only.</summary>
    MethodOnly,

    /// <summary>A request whose header section was read: method and headers, enough to answer 400.</summary>
    Answerable,
}

/// <summary>One corpus message and what parsing it must give.</summary>
public sealed record CorpusCase(string Name, byte[] Bytes, bool Valid, Action<SipParseResult> Check, int MaxSize)
{
    public override string ToString() => Name;
}

/// <summary>
/// The corpus: named SIP messages, valid and malformed, each with precise expectations. Valid cases check the parsed
/// fields; malformed ones the error (a substring of it) and what the result still carries for an answer.
/// </summary>
public static partial class SipCorpus
{
    private static readonly Lazy<IReadOnlyList<CorpusCase>> Cases = new(() =>
    {
        var corpus = new Builder();
        AddValid(corpus);
        AddMalformed(corpus);
        return corpus.Cases;
    });

    public static IReadOnlyList<CorpusCase> All => Cases.Value;

    public static CorpusCase Get(string name) => All.Single(c => c.Name == name);

    /// <summary>Text with the line ends of this source file (LF) turned into CRLF, for messages written as raw literals.</summary>
    private static string Crlf(string text) => text.Replace("\r\n", "\n").Replace("\n", "\r\n");

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private sealed class Builder
    {
        public List<CorpusCase> Cases { get; } = [];

        public void Request(string name, Msg message, Action<SipRequest> check, int maxSize = SipParser.DefaultMaxMessageSize) =>
            Request(name, message.Bytes, check, maxSize);

        public void Request(string name, byte[] bytes, Action<SipRequest> check, int maxSize = SipParser.DefaultMaxMessageSize) =>
            Add(new CorpusCase(name, bytes, true, result =>
            {
                Assert.True(result.Ok, $"expected a request, got: {result.Error}");
                var request = Assert.IsType<SipRequest>(result.Request);
                Assert.Null(result.Response);
                Assert.Equal(request.Method, result.Method);
                Assert.Same(request.Headers, result.Headers);
                check(request);
            }, maxSize));

        public void Response(string name, Msg message, Action<SipResponse> check) => Response(name, message.Bytes, check);

        public void Response(string name, byte[] bytes, Action<SipResponse> check) =>
            Add(new CorpusCase(name, bytes, true, result =>
            {
                Assert.True(result.Ok, $"expected a response, got: {result.Error}");
                Assert.Null(result.Request);
                check(Assert.IsType<SipResponse>(result.Response));
            }, SipParser.DefaultMaxMessageSize));

        public void Bad(string name, Msg message, string error, Answer answer = Answer.Answerable, int maxSize = SipParser.DefaultMaxMessageSize) =>
            Bad(name, message.Bytes, error, answer, maxSize);

        public void Bad(string name, byte[] bytes, string error, Answer answer = Answer.Answerable, int maxSize = SipParser.DefaultMaxMessageSize) =>
            Add(new CorpusCase(name, bytes, false, result =>
            {
                Assert.False(result.Ok, "expected an error");
                Assert.Null(result.Request);
                Assert.Null(result.Response);
                Assert.True(result.Error!.Contains(error, StringComparison.Ordinal), $"expected «{error}» in «{result.Error}»");
                switch (answer)
                {
                    case Answer.Drop:
                        Assert.Null(result.Method);
                        Assert.Null(result.Headers);
                        break;
                    case Answer.MethodOnly:
                        Assert.NotNull(result.Method);
                        Assert.Null(result.Headers);
                        break;
                    case Answer.Answerable:
                        Assert.NotNull(result.Method);
                        Assert.NotNull(result.Headers);
                        break;
                }
            }, maxSize));

        private void Add(CorpusCase c)
        {
            if (Cases.Any(existing => existing.Name == c.Name))
                throw new InvalidOperationException($"duplicate corpus case {c.Name}");
            Cases.Add(c);
        }
    }
}
