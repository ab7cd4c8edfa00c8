using LocationActors.Chaos;

namespace LocationActors.Kamailio.Tests;

/// <summary>
/// Users whose phones register, refresh and unregister through Kamailio and through LocationActors, each user one
/// request at a time, and what was acknowledged: a user's state is known when its last request got a 200, and then
/// both systems must answer it. A user whose request went unanswered, or was refused, is left alone from then on (a
/// request in flight could still land) and is not checked.
/// </summary>
internal sealed class Phones
{
    private const int Workers = 4;
    private readonly MixedDeployment _deployment;
    private readonly string _prefix;
    private readonly bool?[] _registered; // null: unknown
    private readonly int[] _cseq;
    private int _kamailioAcks;
    private int _ourAcks;
    private int _unanswered;
    private int _refused;

    private Phones(MixedDeployment deployment, string prefix, int count)
    {
        _deployment = deployment;
        _prefix = prefix;
        _registered = new bool?[count];
        _cseq = new int[count];
    }

    private string User(int i) => $"{_prefix}{i:D4}";

    private string Contact(int i) => $"sip:{User(i)}@192.0.2.{i % 250 + 1}:5060";

    /// <summary>Registers every user once, half through each system; all must be acknowledged.</summary>
    public static async Task<Phones> RegisterAsync(MixedDeployment deployment, string prefix, int count)
    {
        var phones = new Phones(deployment, prefix, count);
        await phones.RunAsync(once: true, () => true);
        Xunit.Assert.True(phones._registered.All(r => r == true), $"registering {prefix}: {phones.Summary()}");
        return phones;
    }

    /// <summary>Refreshes and unregisters users through both systems for a while.</summary>
    public Task ChurnAsync(TimeSpan duration)
    {
        var until = DateTime.UtcNow + duration;
        return RunAsync(once: false, () => DateTime.UtcNow < until);
    }

    /// <summary>Churns until the returned handle is disposed (which waits for the requests in flight).</summary>
    public IDisposable ChurnInBackground()
    {
        var stop = new CancellationTokenSource();
        var running = RunAsync(once: false, () => !stop.IsCancellationRequested);
        return new Stopper(stop, running);
    }

    public string Summary() =>
        $"{_prefix}: {_kamailioAcks} acknowledged by Kamailio, {_ourAcks} by LocationActors, {_unanswered} unanswered, {_refused} refused; " +
        $"{_registered.Count(r => r == true)} users registered, {_registered.Count(r => r == false)} removed, {_registered.Count(r => r is null)} unknown";

    /// <summary>Asks both systems for every user whose state is known; lists every answer that disagrees with it.</summary>
    public async Task<List<string>> WrongAnswersAsync()
    {
        var wrong = new List<string>();
        using var kamailio = new SipClient(_deployment.KamailioPort, MixedDeployment.SipLimit);
        using var ours = new SipClient(_deployment.SipPort, MixedDeployment.SipLimit);
        for (var i = 0; i < _registered.Length; i++)
        {
            if (_registered[i] is not { } registered)
                continue;
            foreach (var (side, phone) in new[] { ("Kamailio", kamailio), ("LocationActors", ours) })
            {
                var contacts = await phone.LookupAsync(User(i));
                if (contacts is null || contacts.Contains(Contact(i)) != registered)
                    wrong.Add($"{User(i)} ({(registered ? "registered" : "removed")}) through {side}: " +
                              (contacts is null ? "no answer" : contacts.Count == 0 ? "404" : string.Join(", ", contacts)));
            }
        }

        return wrong;
    }

    private Task RunAsync(bool once, Func<bool> goOn) => Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
    {
        var random = new Random(worker * 7919 + _prefix.GetHashCode(StringComparison.Ordinal));
        using var kamailio = new SipClient(_deployment.KamailioPort, MixedDeployment.SipLimit);
        using var ours = new SipClient(_deployment.SipPort, MixedDeployment.SipLimit);
        do
        {
            for (var i = worker; i < _registered.Length && goOn(); i += Workers)
            {
                if (!once && _registered[i] is null)
                    continue; // something of it may still be in flight
                var throughKamailio = once ? i % 2 == 0 : random.Next(2) == 0;
                var register = once || random.Next(100) < 85;
                var status = await (throughKamailio ? kamailio : ours).RegisterAsync(User(i), $"{User(i)}-call", ++_cseq[i], Contact(i), register ? 3600 : 0);
                if (status == 200)
                {
                    _registered[i] = register;
                    if (throughKamailio)
                        Interlocked.Increment(ref _kamailioAcks);
                    else
                        Interlocked.Increment(ref _ourAcks);
                }
                else
                {
                    _registered[i] = null;
                    if (status is null)
                        Interlocked.Increment(ref _unanswered);
                    else
                        Interlocked.Increment(ref _refused);
                }

                if (!once)
                    await Task.Delay(10);
            }
        } while (!once && goOn());
    })));

    private sealed class Stopper(CancellationTokenSource stop, Task running) : IDisposable
    {
        public void Dispose()
        {
            stop.Cancel();
            running.GetAwaiter().GetResult();
            stop.Dispose();
        }
    }
}
