using LocationActors.Storage;

namespace LocationActors.Chaos;

/// <summary>Reads a member database whole and compares each user's valid contacts there with the history.</summary>
public static class MemberCheck
{
    public static async Task CompareAsync(LocationDatabase member, string name, IReadOnlyCollection<string> users, HistoryChecker checker)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var held = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await foreach (var binding in member.StreamAllAsync())
        {
            if (binding.IsValidAt(now))
                (held.TryGetValue(binding.Username, out var list) ? list : held[binding.Username] = []).Add(binding.Contact);
        }

        foreach (var user in users)
            checker.Compare(user, held.GetValueOrDefault(user) ?? [], name);
    }
}
