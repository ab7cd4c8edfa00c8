using System.CommandLine;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Partitioning;

namespace LocationActors.Cli.Commands;

/// <summary>
/// <c>locctl hash &lt;key&gt; --groups N [--use-domain]</c>: the location group p_usrloc (and LocationActors) puts a
/// user in. The key is read as <c>locctl lookup</c> and the HTTP API read an AOR (<see cref="AorNormalizer.FromInput"/>):
/// a user (<c>Alice</c> is <c>alice</c>), <c>user@domain</c> or a SIP URI, normalised as the registrar would.
/// </summary>
internal static class HashCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var key = new Argument<string>("key") { Description = "AOR (alice, alice@example.com) or SIP URI (sip:Alice@example.com)" };
        var groups = new Option<int>("--groups", "-n") { Description = "number of location groups N (MAX(id) FROM locdb WHERE status=1)", Required = true };
        var useDomain = new Option<bool>("--use-domain") { Description = "AORs are user@domain (Kamailio use_domain=1)" };
        var caseSensitive = new Option<bool>("--case-sensitive") { Description = "keep the user part's case (Kamailio case_sensitive=1)" };
        var realmPrefix = new Option<string>("--realm-prefix") { Description = "strip this prefix from the domain (Kamailio realm_prefix)", DefaultValueFactory = _ => "" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "also print the key and its CRC-32" };

        var command = new Command("hash", "print the location group of a user") { key, groups, useDomain, caseSensitive, realmPrefix, verbose };
        command.SetAction(result =>
        {
            var options = new RegistrarOptions(result.GetValue(useDomain), result.GetValue(caseSensitive), result.GetValue(realmPrefix) ?? "");
            var n = result.GetValue(groups);
            if (n < 1)
            {
                error.WriteLine($"locctl: --groups must be at least 1 (got {n}); use the number of location groups in locdb");
                return LocCtl.InvalidInput;
            }

            try
            {
                var text = result.GetValue(key)!;
                var aor = AorNormalizer.FromInput(text, options);
                var group = Partitioner.GroupOf(aor, n);
                output.WriteLine(result.GetValue(verbose)
                    ? $"key={aor.PartitionKey} crc32={Partitioner.Crc32Of(aor.PartitionKey)} groups={n} group={group}"
                    : group.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return LocCtl.Ok;
            }
            catch (Exception e) when (e is AorFormatException or InvalidPartitionKeyException)
            {
                error.WriteLine($"locctl: {e.Message}");
                return LocCtl.InvalidInput;
            }
        });
        return command;
    }
}
