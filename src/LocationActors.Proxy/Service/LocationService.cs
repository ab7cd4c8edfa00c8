using System.Runtime.CompilerServices;
using Akka.Actor;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Partitioning;
using LocationActors.Domain.Registrations;
using LocationActors.Proxy.Client;

namespace LocationActors.Proxy.Service;

/// <summary>
/// <see cref="ILocationService"/> on top of the <see cref="LocationProxy"/>: it computes each request's group on the
/// proxy (so the request goes straight to it), asks with an explicit timeout and turns the cluster's replies into
/// typed results. A lookup the cluster does not answer in time is also read from a member (<see cref="MemberReads"/>).
/// </summary>
public sealed class LocationService(IActorRef proxy, ClusterViewSource view, TimeSpan requestTimeout, MemberReads? memberReads = null) : ILocationService
{
    private const int DumpPageAors = LocationGroup.MaxDumpPageAors;

    /// <summary>The Ask outlives the proxy's own deadline a little, so the proxy's answer ("unavailable") is the one heard.</summary>
    private readonly TimeSpan _askTimeout = requestTimeout + TimeSpan.FromSeconds(2);

    public ClusterView View => view.Current;

    private static string Table => UsrlocDomain.DefaultTable;

    public Result<Aor> ParseAor(string text)
    {
        if (View.State?.Options is not { } options)
            return new Failure(FailureKind.Unavailable, View.NotReady ?? "the cluster's AOR rules are not known yet");
        try
        {
            return AorNormalizer.FromInput(text, options);
        }
        catch (AorFormatException e)
        {
            return new Failure(FailureKind.Invalid, e.Message);
        }
    }

    public Result<int> GroupOf(Aor aor)
    {
        if (View.State?.Domains.FirstOrDefault(d => d.Table == Table) is not { } domain || (domain.Partitioned && domain.GroupCount == 0))
            return new Failure(FailureKind.Unavailable, View.NotReady ?? "the cluster's groups are not known yet");
        if (!domain.Partitioned)
            return UsrlocDomain.SingleGroupId;
        try
        {
            return Partitioner.GroupOf(aor, domain.GroupCount);
        }
        catch (InvalidPartitionKeyException e)
        {
            return new Failure(FailureKind.Invalid, e.Message);
        }
    }

    public async Task<Result<LookupResult>> LookupAsync(Aor aor, uint? methodBit = null, CancellationToken ct = default)
    {
        var group = GroupOf(aor);
        if (group.Failure is { } failure)
            return failure;
        var lookup = new LookupContacts(group.Value, 0, aor, methodBit, Table);
        if (memberReads is not { Enabled: true } reads || View.State?.Reading is not { } reading)
            return await AskAsync<LookupResult>(lookup, ct);
        using var clusterAsk = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var asked = AskAsync<LookupResult>(lookup, clusterAsk.Token);
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var first = await Task.WhenAny(asked, Task.Delay(reads.After, patience.Token));
        await patience.CancelAsync(); // no timer left behind per lookup
        if (first == asked && asked.Result.Failure is not { Kind: FailureKind.Unavailable })
            return asked.Result;

        // The group has not answered in time (its node may be being downed) or cannot answer: read its member, as
        // p_usrloc reads on every request. The group's own answer wins if it comes first.
        var read = reads.LookupAsync(reading, Table, group.Value, aor, methodBit, ct);
        if (await Task.WhenAny(asked, read) == asked && asked.Result.Failure is not { Kind: FailureKind.Unavailable })
            return asked.Result;
        if (await read is not { } fromMember)
            return await asked;
        // Answered: the proxy stops sending the group copies of this lookup, which would only pile up where it moves.
        await clusterAsk.CancelAsync();
        return fromMember;
    }

    public async Task<Result<RegisterResult>> RegisterAsync(RegisterRequest request, CancellationToken ct = default)
    {
        if (request.Validate() is { } problem)
            return new Failure(FailureKind.Invalid, problem);
        var result = await ToGroupAsync<RegisterResult>(request.Aor, group => new RegisterBindings(group, 0, request, Table), ct);
        return result.Value is { Rejection: { } rejection } refused
            ? new Failure(FailureKind.Refused, refused.Reason ?? rejection.ToString(), rejection)
            : result;
    }

    public Task<Result<ContactsRemoved>> RemoveAorAsync(Aor aor, CancellationToken ct = default) =>
        ToGroupAsync<ContactsRemoved>(aor, group => new RemoveAor(group, 0, aor, Table), ct);

    public Task<Result<ContactsRemoved>> RemoveContactAsync(Aor aor, string contact, CancellationToken ct = default) =>
        ToGroupAsync<ContactsRemoved>(aor, group => new RemoveContact(group, 0, aor, contact, Table), ct);

    public async IAsyncEnumerable<DumpItem> DumpAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        if (View.State is not { LocDbKnown: true } state)
        {
            yield return new DumpItem(Table, 0, null, new Failure(FailureKind.Unavailable, View.NotReady ?? "the cluster's groups are not known yet"));
            yield break;
        }

        foreach (var domain in state.Domains)
        {
            var groups = domain.Partitioned ? Enumerable.Range(1, domain.GroupCount) : [UsrlocDomain.SingleGroupId];
            foreach (var group in groups)
            {
                string? after = null;
                do
                {
                    var page = await AskAsync<DumpPage>(new DumpGroup(group, 0, after, DumpPageAors, domain.Table), ct);
                    if (page.Failure is { } failure)
                    {
                        yield return new DumpItem(domain.Table, group, null, failure);
                        yield break;
                    }

                    foreach (var binding in page.Value!.Bindings)
                        yield return new DumpItem(domain.Table, group, binding, null);
                    after = page.Value.Next;
                }
                while (after is not null);
            }
        }
    }

    public Task<Result<LocDbMemberChanged>> ChangeMemberAsync(int groupId, int no, MemberChange change, CancellationToken ct = default) =>
        AskAsync<LocDbMemberChanged>(new ChangeLocDbMember(0, groupId, no, change), ct);

    private async Task<Result<T>> ToGroupAsync<T>(Aor aor, Func<int, object> request, CancellationToken ct) where T : class
    {
        var group = GroupOf(aor);
        return group.Failure is { } failure ? failure : await AskAsync<T>(request(group.Value), ct);
    }

    private async Task<Result<T>> AskAsync<T>(object request, CancellationToken ct) where T : class
    {
        object answer;
        try
        {
            answer = await proxy.Ask<object>(new SendToCluster(request, ct), _askTimeout, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return new Failure(FailureKind.Unavailable, "the caller no longer waits for the answer");
        }
        catch (AskTimeoutException)
        {
            return new Failure(FailureKind.Unavailable, "the proxy did not answer in time");
        }

        return answer switch
        {
            T wanted => wanted,
            ClusterUnavailable u => new Failure(FailureKind.Unavailable, u.Reason),
            GroupUnavailable u => new Failure(FailureKind.Unavailable, u.Reason),
            GroupBusy b => new Failure(FailureKind.Unavailable, b.Reason),
            RequestRejected r => new Failure(FailureKind.Invalid, r.Reason),
            Status.Failure f => new Failure(FailureKind.Invalid, f.Cause.Message),
            _ => new Failure(FailureKind.Unavailable, $"unexpected answer {answer.GetType().Name} from the cluster"),
        };
    }
}
