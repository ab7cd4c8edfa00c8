namespace LocationActors.Domain.Registrations;

/// <summary>
/// The registrar's expires rules, as Kamailio's registrar module has them (<c>default_expires</c>,
/// <c>default_expires_range</c>, <c>expires_range</c>, <c>min_expires</c>, <c>max_expires</c>), applied by every
/// front end alike: a SIP REGISTER, the HTTP API.
/// </summary>
/// <param name="DefaultExpires">Seconds for a contact whose request names none.</param>
/// <param name="MinExpires">A contact asking for fewer seconds (but not 0, which removes it) is refused as too brief.</param>
/// <param name="MaxExpires">More seconds are cut down to this; 0: no limit.</param>
/// <param name="DefaultExpiresRange">
/// Percent (0–100) by which <see cref="DefaultExpires"/> is lowered at random for each contact it applies to, so phones
/// that registered together (after an outage) do not all refresh together again.
/// </param>
/// <param name="ExpiresRange">The same for an expires the request names.</param>
public sealed record ExpiresRules(long DefaultExpires = 3600, long MinExpires = 60, long MaxExpires = 0, int DefaultExpiresRange = 0, int ExpiresRange = 0)
{
    /// <summary>
    /// The seconds a contact is stored for; null when it asked for fewer than <see cref="MinExpires"/> (SIP: 423 with
    /// Min-Expires). As Kamailio: the request's value (or the default) is lowered by its range at random, in steps of
    /// a hundredth of the range, never raised (RFC 3261 10.3: at most what the phone asked for), and then kept between
    /// <see cref="MinExpires"/> and <see cref="MaxExpires"/>.
    /// </summary>
    /// <param name="requested">The contact's expires, else its request's; null when neither names one.</param>
    /// <param name="random">Where the spread's randomness comes from (a seeded one in tests).</param>
    public long? Grant(long? requested, Random? random = null)
    {
        if (requested is > 0 && requested < MinExpires)
            return null;
        var seconds = requested ?? DefaultExpires;
        if (seconds == 0)
            return 0;
        seconds = Spread(seconds, requested is null ? DefaultExpiresRange : ExpiresRange, random ?? Random.Shared);
        seconds = Math.Max(seconds, MinExpires);
        return MaxExpires > 0 && seconds > MaxExpires ? MaxExpires : seconds;
    }

    /// <summary>Somewhere between <paramref name="range"/> percent below <paramref name="seconds"/> and <paramref name="seconds"/>.</summary>
    private static long Spread(long seconds, int range, Random random)
    {
        if (range == 0)
            return seconds;
        var lowest = (long)(seconds - (range / 100.0 * seconds));
        return (long)(lowest + (random.Next(100) / 100.0 * (seconds - lowest)));
    }
}
