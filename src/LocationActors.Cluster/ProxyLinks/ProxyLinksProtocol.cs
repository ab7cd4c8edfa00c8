namespace LocationActors.Cluster.ProxyLinks;

/// <summary>A message between a node's <see cref="ProxyLinks"/> and a proxy, or a group and its node's links: the protocol serializer carries it.</summary>
public interface IProxyLinkMessage;

/// <summary>
/// A proxy says it is there, every few seconds, to every node (through its cluster client's <c>SendToAll</c>): where it
/// can be sent to, the SIP sockets it pings from, and whether anyone on it reads the change feed. A node forgets a
/// proxy that has not said so for three announce intervals (<see cref="ProxyLinks.AnnounceInterval"/>).
/// </summary>
/// <param name="Proxy">The full path of the proxy's presence actor (with its address): the node sends pings and changes there.</param>
/// <param name="Sockets">Its SIP sockets in the <c>socket</c> column's form (<c>udp:127.0.0.1:5060</c>).</param>
/// <param name="WantsChanges">Whether a change feed reader is connected to it.</param>
[ProtocolManifest("proxy-here")]
public sealed record ProxyAnnounce(string Proxy, IReadOnlyList<string> Sockets, bool WantsChanges) : IProxyLinkMessage;

/// <summary>The node's answer to <see cref="ProxyAnnounce"/>: it sends that proxy pings, and its changes when <paramref name="SendsChanges"/>.</summary>
[ProtocolManifest("proxy-linked")]
public sealed record ProxyLinked(string Node, bool SendsChanges) : IProxyLinkMessage;

/// <summary>One contact to ping: where to send the OPTIONS (its Path when it has one, else its received, else its URI).</summary>
/// <param name="Socket">The proxy socket the contact registered through (<c>socket</c> column), if any: that proxy pings it.</param>
public sealed record PingTarget(string Ruid, string Aor, string Contact, string? Path, string? Received, string? Socket);

/// <summary>
/// Contacts a group pings now. Sent by the group to its node's links, which pass each contact to the proxy that owns
/// its socket (any proxy when none does); the proxy answers the group itself with <see cref="PingsAnswered"/>.
/// </summary>
/// <param name="ReplyWithinMs">How long the proxy waits for an answer to each OPTIONS.</param>
[ProtocolManifest("ping")]
public sealed record PingContacts(long Batch, IReadOnlyList<PingTarget> Targets, int ReplyWithinMs) : IProxyLinkMessage;

/// <summary>What became of pings: the contacts that answered (any response), and those that did not answer in time.</summary>
[ProtocolManifest("pinged")]
public sealed record PingsAnswered(long Batch, IReadOnlyList<string> Answered, IReadOnlyList<string> Unanswered) : IProxyLinkMessage;

/// <summary>No proxy could ping these (none is linked to the node): they count neither as answered nor as missed.</summary>
[ProtocolManifest("not-pinged")]
public sealed record PingsNotSent(long Batch, IReadOnlyList<string> Ruids) : IProxyLinkMessage;

/// <summary>What happened to a contact, for the change feed.</summary>
public enum ContactChangeKind
{
    /// <summary>A new binding was stored.</summary>
    Inserted,

    /// <summary>A stored binding was written again (a re-REGISTER: new expiry, CSeq, …).</summary>
    Refreshed,

    /// <summary>Removed by a REGISTER with expires 0, or through the API.</summary>
    Removed,

    /// <summary>Its expiry passed.</summary>
    Expired,

    /// <summary>Removed after too many unanswered keepalive pings.</summary>
    KeepaliveFailed,
}

/// <summary>One change of one contact.</summary>
/// <param name="At">When the group stored it, in Unix milliseconds.</param>
/// <param name="Group">The group as sharding names it (<c>table/id</c>).</param>
public sealed record ContactChange(ContactChangeKind Kind, string Aor, string Ruid, string Contact, long Expires, string? Received, string? Path,
    string? Instance, long At, string Group);

/// <summary>Changes of contacts: from a group to its node's links, and from the links to each proxy that wants them.</summary>
[ProtocolManifest("changes")]
public sealed record ContactChanges(IReadOnlyList<ContactChange> Changes) : IProxyLinkMessage;
