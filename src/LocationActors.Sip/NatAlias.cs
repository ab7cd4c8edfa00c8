using System.Globalization;
using LocationActors.Sip.Parsing;

namespace LocationActors.Sip;

/// <summary>
/// A contact URI that also says where its phone really sent from, in the form Kamailio's nathelper writes and reads:
/// <c>;alias=IP~PORT~PROTO</c> (PROTO Kamailio's number of the transport: 1 UDP, 2 TCP, 3 TLS, 4 SCTP, 5 WS, 6 WSS).
/// A redirect (302) carries only contact URIs, and a URI parameter is the one thing of a contact that survives
/// <c>uac_redirect</c>: an edge proxy that receives the call calls <c>handle_ruri_alias()</c>, which sends the branch to
/// the alias's address and takes the parameter out of the Request-URI again. A phone behind NAT is reached at its
/// NAT binding although its Contact names a private address.
/// </summary>
public static class NatAlias
{
    private const string Parameter = ";alias=";

    /// <summary>
    /// <paramref name="contact"/> with the alias of <paramref name="received"/> (a stored <c>received</c> such as
    /// <c>sip:198.51.100.7:40312</c> or <c>sip:[2001:db8::7]:5061;transport=tls</c>). The contact as it is when it has
    /// no received, already has an alias, or the received is not an address with a port this form can carry.
    /// </summary>
    public static string Add(string contact, string? received)
    {
        if (received is null || contact.Contains(Parameter, StringComparison.OrdinalIgnoreCase) || Of(received) is not { } alias)
            return contact;
        // URI parameters come before the headers (RFC 3261 §19.1.1: ...;params?headers).
        var headers = contact.IndexOf('?', StringComparison.Ordinal);
        return headers < 0 ? contact + Parameter + alias : contact[..headers] + Parameter + alias + contact[headers..];
    }

    /// <summary>The contact without an alias parameter: what the phone registered (e.g. to compare a redirect with it).</summary>
    public static string Remove(string contact)
    {
        var start = contact.IndexOf(Parameter, StringComparison.OrdinalIgnoreCase);
        if (start < 0)
            return contact;
        var end = contact.IndexOfAny([';', '?'], start + 1);
        return end < 0 ? contact[..start] : contact[..start] + contact[end..];
    }

    /// <summary><c>IP~PORT~PROTO</c> of a received URI, or null when it is no SIP URI naming an IP address.</summary>
    private static string? Of(string received)
    {
        if (SipUriParser.Parse(received, out _) is not { Scheme: "sip" or "sips" } uri || !System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out _) ||
            ProtoOf(uri.Parameter("transport")?.ToLowerInvariant() ?? (uri.Scheme == "sips" ? "tls" : "udp")) is not { } proto)
            return null;
        return $"{uri.Host}~{(uri.Port ?? 5060).ToString(CultureInfo.InvariantCulture)}~{proto}";
    }

    /// <summary>Kamailio's <c>enum sip_protos</c>.</summary>
    private static int? ProtoOf(string transport) => transport switch
    {
        "udp" => 1,
        "tcp" => 2,
        "tls" => 3,
        "sctp" => 4,
        "ws" => 5,
        "wss" => 6,
        _ => null,
    };
}
