using LocationActors.TestSupport;

namespace LocationActors.Sip.Tests;

[Trait(Tier.Name, Tier.Unit)]
public sealed class CorpusTests
{
    public static TheoryData<string> CaseNames => new(SipCorpus.All.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Corpus_case_parses_as_expected(string name)
    {
        var corpusCase = SipCorpus.Get(name);
        var result = SipParser.Parse(corpusCase.Bytes, corpusCase.MaxSize);
        Invariants.Hold(result);
        corpusCase.Check(result);
    }

    [Fact]
    public void Corpus_is_large_and_balanced()
    {
        var valid = SipCorpus.All.Count(c => c.Valid);
        var malformed = SipCorpus.All.Count(c => !c.Valid);
        Assert.True(SipCorpus.All.Count >= 150, $"{SipCorpus.All.Count} cases");
        Assert.True(valid >= 60, $"{valid} valid cases");
        Assert.True(malformed >= 60, $"{malformed} malformed cases");
    }

    /// <summary>Every valid request parses the same whether it arrives alone, after keep-alives, or with LF-only endings.</summary>
    [Fact]
    public void Valid_requests_parse_identically_after_keepalive_crlfs()
    {
        foreach (var c in SipCorpus.All.Where(c => c.Valid))
        {
            var plain = SipParser.Parse(c.Bytes, c.MaxSize + 4);
            var prefixed = SipParser.Parse([.. "\r\n\r\n"u8, .. c.Bytes], c.MaxSize + 4);
            Assert.Equal(plain.Error, prefixed.Error);
            Assert.Equal(plain.Request?.Headers, prefixed.Request?.Headers);
            Assert.Equal(plain.Response?.Headers, prefixed.Response?.Headers);
        }
    }
}

/// <summary>What every parse result must satisfy, whatever the input.</summary>
public static class Invariants
{
    public static void Hold(SipParseResult result)
    {
        if (result.Ok)
        {
            Assert.True(result.Request is null != result.Response is null, "exactly one of Request and Response");
            if (result.Request is { } request)
            {
                Assert.NotEmpty(request.Via);
                Assert.Equal(request.Method, request.CSeq.Method);
                Assert.InRange(request.CSeq.Number, 0, int.MaxValue);
                Assert.False(request.ContactStar && request.Contacts.Count > 0);
                foreach (var contact in request.Contacts)
                {
                    Assert.InRange(contact.Q ?? 0, 0, 1000);
                    Assert.InRange(contact.Expires ?? 0, 0, uint.MaxValue);
                }
            }
        }
        else
        {
            Assert.False(string.IsNullOrWhiteSpace(result.Error));
            Assert.Null(result.Request);
            Assert.Null(result.Response);
            if (result.Headers is not null)
                Assert.NotNull(result.Method);
        }
    }
}
