using LocationActors.Domain.Contacts;

namespace LocationActors.Domain.Registrations;

/// <summary>
/// Kamailio's <c>save()</c> (registrar <c>save.c</c>, usrloc <c>get_ucontact</c>, spec §8) as a pure function:
/// the AOR's bindings and a REGISTER in, the new bindings and the rows to write out.
/// </summary>
/// <remarks>
/// One deliberate difference: Kamailio applies contacts one by one and stops at the first invalid CSeq, leaving
/// the earlier ones applied. Here the whole REGISTER is checked first and then applied or refused as a unit, so a
/// refused REGISTER never stores anything half-way. Expired bindings are dropped (and their rows deleted) whenever
/// a REGISTER writes, instead of lingering until a cleanup job.
/// </remarks>
public static class Registrar
{
    /// <summary>Kamailio's <c>MAX_UA_SIZE</c>: a longer (or missing) User-Agent is stored as "n/a".</summary>
    public const int MaxUserAgentLength = 255;

    public static RegisterOutcome Apply(AorBindings current, RegisterRequest request, RegistrarSettings settings, long now,
        Func<string> newRuid)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(newRuid);

        if (request.Validate() is { } invalid)
            return RegisterOutcome.Reject(RegisterRejection.InvalidRequest, invalid, current);

        var expired = current.Where(b => !b.IsValidAt(now)).Select(b => b.Ruid).ToList();

        if (request.RemoveAll)
            return RegisterOutcome.Accept(RegisterAction.Deleted, AorBindings.Empty, [], current.Select(b => b.Ruid).ToList());
        if (request.Contacts.Count == 0)
            return RegisterOutcome.Accept(RegisterAction.Fetched, current, [], []);

        var work = AorBindings.FromWriteOrder(current.Where(b => b.IsValidAt(now)));
        var deleted = new List<string>(expired);
        var upserts = new Dictionary<string, ContactBinding>(); // by ruid; a later change of the same binding wins
        bool inserted = false, updated = false, removed = false;

        void Put(ContactBinding binding)
        {
            work = work.Put(binding);
            upserts[binding.Ruid] = binding;
        }

        void Remove(string ruid)
        {
            work = work.Remove(ruid);
            if (!upserts.Remove(ruid) || current.Any(b => b.Ruid == ruid))
                deleted.Add(ruid);
        }

        foreach (var contact in request.Contacts)
        {
            var (match, verdict) = Find(work, contact, request, settings, now);
            switch (verdict)
            {
                case Verdict.InvalidCSeq:
                    return RegisterOutcome.Reject(RegisterRejection.InvalidCSeq,
                        $"CSeq {request.CSeq} is not above the stored {match!.CSeq} for {contact.Uri}", current);
                case Verdict.Retransmission:
                    continue;
            }

            if (match is null)
            {
                if (contact.Expires == 0)
                    continue; // removing what is not there
                Put(Bind(newRuid(), contact, request, now));
                inserted = true;
            }
            else if (contact.Expires == 0)
            {
                Remove(match.Ruid);
                removed = true;
            }
            else
            {
                // A device that re-registers from a new Call-ID replaces every other binding of its instance.
                if (!string.IsNullOrEmpty(contact.Instance) && match.CallId != request.CallId)
                {
                    foreach (var other in work.Where(b => b.Ruid != match.Ruid && SameInstance(b.Instance, match.Instance)).ToList())
                        Remove(other.Ruid);
                }

                Put(Bind(match.Ruid, contact, request, now));
                updated = true;
            }
        }

        if (settings.MaxContacts > 0 && work.Count > settings.MaxContacts)
            return RegisterOutcome.Reject(RegisterRejection.TooManyContacts,
                $"{work.Count} contacts for {request.Aor}, at most {settings.MaxContacts} allowed", current);

        foreach (var binding in upserts.Values)
        {
            if (binding.Validate() is { } problem)
                return RegisterOutcome.Reject(RegisterRejection.InvalidContact, $"{binding.Contact}: {problem}", current);
        }

        var action = inserted ? RegisterAction.Inserted : updated ? RegisterAction.Updated : removed ? RegisterAction.Deleted : RegisterAction.Updated;
        return RegisterOutcome.Accept(action, work, upserts.Values.ToList(), deleted.Distinct().ToList());
    }

    private enum Verdict
    {
        Found,
        NotFound,
        InvalidCSeq,
        Retransmission,
    }

    /// <summary>usrloc's <c>get_ucontact_by_instance</c> and <c>get_ucontact</c>.</summary>
    private static (ContactBinding? Match, Verdict Verdict) Find(AorBindings bindings, ContactUpdate contact, RegisterRequest request,
        RegistrarSettings settings, long now)
    {
        // With +sip.instance only the instance (and reg-id) identify the binding, and CSeq is not checked.
        if (!string.IsNullOrEmpty(contact.Instance))
        {
            var byInstance = bindings.FirstOrDefault(b => !string.IsNullOrEmpty(b.Instance) && b.RegId == contact.RegId
                                                          && SameInstance(b.Instance, contact.Instance));
            return (byInstance, byInstance is null ? Verdict.NotFound : Verdict.Found);
        }

        var match = bindings.FirstOrDefault(b => b.Contact == contact.Uri && settings.Matching switch
        {
            MatchingMode.ContactAndCallId => b.CallId == request.CallId,
            MatchingMode.ContactAndPath => request.Path is null || (b.Path ?? "") == request.Path,
            _ => true,
        });
        if (match is null)
            return (null, Verdict.NotFound);

        if (settings.Matching == MatchingMode.ContactAndCallId || match.CallId == request.CallId)
        {
            if (request.CSeq < match.CSeq)
                return (match, Verdict.InvalidCSeq);
            if (request.CSeq == match.CSeq)
                return (match, match.LastModified + settings.CSeqDelay > now || request.Repeat ? Verdict.Retransmission : Verdict.InvalidCSeq);
        }

        return (match, Verdict.Found);
    }

    /// <summary>Instances compare without their angle brackets, as usrloc does.</summary>
    private static bool SameInstance(string? a, string? b) =>
        a is not null && b is not null && StripAngles(a).SequenceEqual(StripAngles(b));

    private static ReadOnlySpan<char> StripAngles(string s) =>
        s.Length >= 2 && s[0] == '<' && s[^1] == '>' ? s.AsSpan(1, s.Length - 2) : s.AsSpan();

    private static ContactBinding Bind(string ruid, ContactUpdate contact, RegisterRequest request, long now) => new(
        Ruid: ruid,
        Username: request.Aor.Username,
        Domain: request.Aor.Domain,
        Contact: contact.Uri,
        Received: contact.Received,
        Path: request.Path,
        Expires: now + contact.Expires,
        Q: contact.Q,
        CallId: request.CallId,
        CSeq: request.CSeq,
        LastModified: now,
        Flags: contact.Flags,
        CFlags: contact.CFlags,
        UserAgent: string.IsNullOrEmpty(request.UserAgent) || request.UserAgent.Length >= MaxUserAgentLength ? "n/a" : request.UserAgent,
        Socket: request.Socket,
        Methods: contact.Methods,
        Instance: contact.Instance,
        RegId: contact.RegId);
}
