using System.Net;
using BenchmarkDotNet.Attributes;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;
using LocationActors.Proxy.Client;
using LocationActors.Proxy.Configuration;
using LocationActors.Proxy.Service;
using LocationActors.Proxy.Sip;
using LocationActors.Sip;

namespace LocationActors.Benchmarks;

/// <summary>
/// The SIP front end's own work per request, without the cluster: parsing a datagram, and the registrar or redirect
/// server turning the cluster's answer into response bytes (the handler runs for real against a service that answers
/// at once, so what is measured is exactly the proxy's CPU share of a REGISTER → 200 or an INVITE → 302).
/// </summary>
[MemoryDiagnoser]
public class SipBenchmarks
{
    private static readonly IPEndPoint Phone = new(IPAddress.Parse("198.51.100.7"), 49152);
    private static readonly SipSource Source = new("UDP", Phone, new IPEndPoint(IPAddress.Parse("203.0.113.10"), 5060));

    private SipRequestHandler _handler = null!;
    private SipRequest _register = null!;
    private SipRequest _invite = null!;
    private SipAnswer _ok = null!;
    private SipAnswer _moved = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _handler = new SipRequestHandler(new AnsweringService(), new ExpiresRules(3600, 60, 7200),
            new SipOptions(true, new IPEndPoint(IPAddress.Loopback, 5060), 65_535, 10_000, SetReceived: true, RetryAfterSeconds: 5));
        _register = SipParser.Parse(Samples.RegisterMessage).Request ?? throw new InvalidOperationException("the sample REGISTER does not parse");
        _invite = SipParser.Parse(Samples.InviteMessage).Request ?? throw new InvalidOperationException("the sample INVITE does not parse");
        _ok = await _handler.HandleAsync(_register, Source) ?? throw new InvalidOperationException("no answer");
        _moved = await _handler.HandleAsync(_invite, Source) ?? throw new InvalidOperationException("no answer");
        if (_ok.Status != 200 || _moved.Status != 302)
            throw new InvalidOperationException($"expected 200 and 302, got {_ok.Status} and {_moved.Status}");
    }

    [Benchmark]
    public SipRequest? ParseRegister() => SipParser.Parse(Samples.RegisterMessage).Request;

    [Benchmark]
    public SipRequest? ParseInvite() => SipParser.Parse(Samples.InviteMessage).Request;

    /// <summary>Only the serialisation of the 200 to a REGISTER (the answer's headers already made).</summary>
    [Benchmark]
    public byte[] Build200() => SipResponses.Build(_register, Phone, _ok.Status, _ok.Reason, "5a1c9e", _ok.Headers);

    /// <summary>Only the serialisation of the 302 to an INVITE (two contacts).</summary>
    [Benchmark]
    public byte[] Build302() => SipResponses.Build(_invite, Phone, _moved.Status, _moved.Reason, "5a1c9e", _moved.Headers);

    /// <summary>Datagram in, datagram out: parse, the registrar's checks and headers, the 200's bytes.</summary>
    [Benchmark]
    public async Task<byte[]> RegisterTo200()
    {
        var request = SipParser.Parse(Samples.RegisterMessage).Request!;
        var answer = (await _handler.HandleAsync(request, Source))!;
        return SipResponses.Build(request, Phone, answer.Status, answer.Reason, "5a1c9e", answer.Headers);
    }

    /// <summary>Datagram in, datagram out: parse, AOR of the Request-URI, the redirect's Contact headers, the 302's bytes.</summary>
    [Benchmark]
    public async Task<byte[]> InviteTo302()
    {
        var request = SipParser.Parse(Samples.InviteMessage).Request!;
        var answer = (await _handler.HandleAsync(request, Source))!;
        return SipResponses.Build(request, Phone, answer.Status, answer.Reason, "5a1c9e", answer.Headers);
    }

    /// <summary>
    /// The location service as the handler sees it, answering at once: the REGISTER's binding as the group would
    /// return it, and two contacts (q 1.0 and unspecified) for a lookup. AORs are parsed with the real normaliser.
    /// </summary>
    private sealed class AnsweringService : ILocationService
    {
        private static readonly ContactBinding Desk = Samples.Binding(4321);
        private static readonly ContactBinding Mobile = Samples.Binding(4322) with { Q = QValue.FromThousandths(1000), Instance = "<urn:uuid:2f4c9a70-1d3e-4b8a-9c55-0a1b2c3d4e5f>", RegId = 1 };

        public ClusterView View => throw new NotSupportedException();

        public Result<Aor> ParseAor(string text) => AorNormalizer.Normalize(text, RegistrarOptions.Default);

        public Result<int> GroupOf(Aor aor) => throw new NotSupportedException();

        public Task<Result<LookupResult>> LookupAsync(Aor aor, uint? methodBit = null, CancellationToken ct = default) =>
            Task.FromResult<Result<LookupResult>>(new LookupResult(1, aor, [Mobile, Desk]));

        public Task<Result<RegisterResult>> RegisterAsync(RegisterRequest request, CancellationToken ct = default) =>
            Task.FromResult<Result<RegisterResult>>(new RegisterResult(1, request.Aor, RegisterAction.Updated, null, null,
                [Desk with { Contact = request.Contacts[0].Uri, Expires = Samples.Now + request.Contacts[0].Expires }]));

        public Task<Result<ContactsRemoved>> RemoveAorAsync(Aor aor, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<Result<ContactsRemoved>> RemoveContactAsync(Aor aor, string contact, CancellationToken ct = default) =>
            throw new NotSupportedException();

        public IAsyncEnumerable<DumpItem> DumpAsync(CancellationToken ct = default) => throw new NotSupportedException();

        public Task<Result<LocDbMemberChanged>> ChangeMemberAsync(int groupId, int no, MemberChange change, CancellationToken ct = default) =>
            throw new NotSupportedException();
    }
}
