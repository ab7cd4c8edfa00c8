using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.LocDb;

namespace LocationActors.Cluster.ClusterConfig;

/// <summary>Messages of the <c>ClusterConfig</c> singleton, which mirrors <c>locdb</c>.</summary>
public interface IClusterConfigMessage;

/// <summary>A group asks for its rows (at start, and whenever it wants to be sure).</summary>
[ProtocolManifest("get-layout")]
public sealed record GetGroupLayout(int GroupId, string Table = UsrlocDomain.DefaultTable) : IClusterConfigMessage;

/// <summary>
/// One group's <c>locdb</c> rows ordered by <c>no</c> (for a single domain: one row naming its database), and N. Sent in answer to
/// <see cref="GetGroupLayout"/> and pushed to the group whenever its rows change.
/// </summary>
/// <param name="Exists">False when no such group exists (an id beyond N, an unknown table): the group then stops for good.</param>
[ProtocolManifest("layout")]
public sealed record GroupLayout(int GroupId, int GroupCount, IReadOnlyList<LocDbRow> Rows, string Table = UsrlocDomain.DefaultTable, bool Exists = true)
    : IClusterConfigMessage, IGroupMessage;

/// <summary>The <c>locdb</c> changes a member can go through, each written exactly as p_usrloc writes it (spec §3).</summary>
public enum MemberChange
{
    /// <summary>A handled database error: <c>errors = errors + 1</c>.</summary>
    CountError,

    /// <summary>Off after too many errors: <c>status = 0, failover = now</c>.</summary>
    TurnOff,

    /// <summary>On again after the watcher's probe: <c>status = 1, failover = now, errors = 0</c>.</summary>
    TurnOn,

    /// <summary>Recovery finished: <c>failover</c> = the ZERO marker.</summary>
    EndRecovery,

    /// <summary>
    /// A member that stays on missed a write (shared-databases mode): <c>failover = now</c> while <c>status = 1</c>,
    /// the state p_usrloc gives a member it turned on again. Kamailio's readers then prefer the other member, and the
    /// mark outlives the group: wherever it starts next, it catches the member up before reading it.
    /// </summary>
    MarkRecovering,

    /// <summary>An operator takes the member out of all traffic: <c>status = 2</c>.</summary>
    Maintenance,

    /// <summary>An operator brings it back: <c>status = 0</c> (never from 1), then the watcher and the resync do the rest.</summary>
    Activate,
}

/// <summary>
/// Asks the locdb mirror — the only writer of <c>locdb</c> — to record a change of one member. Groups send it for
/// their databases' errors, operators for maintenance. The write waits while the master database is down.
/// </summary>
[ProtocolManifest("change-member")]
public sealed record ChangeMember(int GroupId, int No, MemberChange Change, string Reason) : IClusterConfigMessage;

/// <summary>The change is in <c>locdb</c> (<see cref="Found"/> false: no such row), and the layouts were re-read.</summary>
[ProtocolManifest("member-changed")]
public sealed record MemberChanged(int GroupId, int No, MemberChange Change, bool Found) : IClusterConfigMessage;

/// <summary>Asks the mirror for every <c>locdb</c> row it serves with, and N.</summary>
[ProtocolManifest("get-locdb")]
public sealed record GetLocDb : IClusterConfigMessage;

/// <summary>The mirror's view of <c>locdb</c>.</summary>
/// <param name="GroupCount">N; 0 while locdb has never been read.</param>
/// <param name="MasterDown">The last read failed: these are the last good rows.</param>
[ProtocolManifest("locdb")]
public sealed record LocDbSnapshot(int GroupCount, IReadOnlyList<LocDbRow> Rows, bool MasterDown) : IClusterConfigMessage;
