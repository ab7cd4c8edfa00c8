namespace LocationActors.TestSupport;

/// <summary>The one way the tests wait for something to happen: poll a condition until it holds or the time is up.</summary>
public static class Eventually
{
    /// <param name="what">What is awaited, named in the failure.</param>
    /// <param name="condition">Checked until it holds.</param>
    /// <param name="within">How long to try.</param>
    /// <param name="every">The pause between two checks (200 ms unless given).</param>
    /// <param name="notYet">Exceptions of the condition that mean "not yet" (a server still starting), not a failure.</param>
    /// <param name="diagnostics">Added to the failure: the last state seen, the processes' logs.</param>
    public static async Task UntilAsync(string what, Func<Task<bool>> condition, TimeSpan within, TimeSpan? every = null,
        Func<Exception, bool>? notYet = null, Func<Task<string>>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            try
            {
                if (await condition())
                    return;
            }
            catch (Exception e) when (notYet?.Invoke(e) == true)
            {
                // checked again after the pause
            }

            if (DateTime.UtcNow >= deadline)
                throw new Xunit.Sdk.XunitException($"timed out after {within.TotalSeconds:0.#} s waiting until {what}" +
                                                   (diagnostics is null ? "" : "\n" + await diagnostics()));
            await Task.Delay(every ?? TimeSpan.FromMilliseconds(200));
        }
    }
}
