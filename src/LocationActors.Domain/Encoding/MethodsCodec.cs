namespace LocationActors.Domain.Encoding;

/// <summary>The <c>location.methods</c> column: a signed INT holding the method bitmask, NULL for "all methods".</summary>
public static class MethodsCodec
{
    /// <summary>Kamailio's <c>ALL_METHODS</c>, which p_usrloc writes as NULL.</summary>
    public const uint AllMethods = 0xFFFFFFFF;

    // The bits are stored as they are (an unsigned mask reinterpreted as INT), as Kamailio's db layer does.
    public static int? ToDb(uint? methods) => methods is null or AllMethods ? null : unchecked((int)methods.Value);

    public static uint? FromDb(int? value)
    {
        if (value is null)
            return null;
        var mask = unchecked((uint)value.Value);
        return mask == AllMethods ? null : mask;
    }
}
