namespace LocationActors.Domain.Registrations;

/// <summary>
/// The registrar's expires rules, as Kamailio's registrar module has them (<c>default_expires</c>,
/// <c>min_expires</c>, <c>max_expires</c>), applied by every front end alike: a SIP REGISTER, the HTTP API.
/// </summary>
/// <param name="DefaultExpires">Seconds for a contact whose request names none.</param>
/// <param name="MinExpires">A contact asking for fewer seconds (but not 0, which removes it) is refused as too brief.</param>
/// <param name="MaxExpires">More seconds are cut down to this; 0: no limit.</param>
public sealed record ExpiresRules(long DefaultExpires = 3600, long MinExpires = 60, long MaxExpires = 0)
{
    /// <summary>The seconds a contact is stored for; null when it asked for fewer than <see cref="MinExpires"/> (SIP: 423 with Min-Expires).</summary>
    /// <param name="requested">The contact's expires, else its request's; null when neither names one.</param>
    public long? Grant(long? requested)
    {
        var seconds = requested ?? DefaultExpires;
        if (seconds > 0 && seconds < MinExpires)
            return null;
        return MaxExpires > 0 && seconds > MaxExpires ? MaxExpires : seconds;
    }
}
