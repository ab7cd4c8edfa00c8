namespace LocationActors.Cluster;

/// <summary>
/// The short, stable name a message travels under between proxies and nodes (the serializer's manifest), written
/// beside the message it names. It must never change once nodes of one version talk to another: a renamed class keeps
/// its manifest, and a new message needs a new one (the serializer refuses to start on a duplicate).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ProtocolManifestAttribute(string manifest) : Attribute
{
    public string Manifest { get; } = manifest;
}
