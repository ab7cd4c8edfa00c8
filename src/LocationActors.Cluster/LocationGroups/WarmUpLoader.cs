using Akka.Actor;
using LocationActors.Domain.Contacts;
using LocationActors.Storage;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>A page of a member's contacts, loaded for the group's warm-up numbered <paramref name="Token"/>.</summary>
public sealed record WarmUpPage(long Token, IReadOnlyList<ContactBinding> Bindings);

/// <summary>The group took a page: the loader sends the next one.</summary>
public sealed record WarmUpPageTaken
{
    public static readonly WarmUpPageTaken Instance = new();
}

/// <summary>The warm-up numbered <paramref name="Token"/> read every row of member <paramref name="MemberNo"/>.</summary>
public sealed record WarmUpDone(long Token, int MemberNo);

/// <summary>The warm-up numbered <paramref name="Token"/> could not read member <paramref name="MemberNo"/>.</summary>
public sealed record WarmUpFailed(long Token, int MemberNo, string Reason);

/// <summary>
/// Loads a group's contacts from one member: streams its table on a connection of its own and sends the group pages
/// of bindings, then <see cref="WarmUpDone"/> (or <see cref="WarmUpFailed"/>). Only messages go back, so the task never
/// touches the actor's state; the token lets the group ignore a warm-up it has given up on. The group serves while it
/// loads, so a page is sent only once the group took the one before (<see cref="WarmUpPageTaken"/>): at most one page
/// waits in its mailbox, requests never queue behind a table's worth of them, and a million rows do not pile up in
/// memory faster than the group takes them.
/// </summary>
public static class WarmUpLoader
{
    public const int PageSize = 1000;

    /// <summary>How long the loader waits for the group to take a page; a group that stopped never does, and the load ends.</summary>
    public static readonly TimeSpan PageTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Starts the load; the database is disposed when it ends.</summary>
    public static Task LoadAsync(LocationDatabase database, int memberNo, long token, IActorRef group) => Task.Run(async () =>
    {
        try
        {
            await foreach (var page in database.StreamAllAsync().Chunk(PageSize))
                await group.Ask<WarmUpPageTaken>(new WarmUpPage(token, page), PageTimeout);
            group.Tell(new WarmUpDone(token, memberNo));
        }
        catch (StorageException e)
        {
            group.Tell(new WarmUpFailed(token, memberNo, e.Message));
        }
        catch (AskTimeoutException)
        {
            // The group stopped, or gave this warm-up up: nobody waits for the rest.
        }
        finally
        {
            await database.DisposeAsync();
        }
    });
}
