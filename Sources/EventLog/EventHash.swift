import SagaWire

/// An order-independent digest of a set of events: the wrapping sum of a 64-bit FNV-1a hash of
/// each event (sequence number, stream, version, type, canonical data, correlation, causation,
/// time). A checkpoint records the digest of every event it covers; retention adds the
/// digest of what it removes to its `HistoryRetired`; so the live events a checkpoint covers
/// plus the retired digest must give the recorded one, and an edited, added or removed
/// covered event shows (`zsaga-log verify`, `--verify-snapshots`). Retention's own
/// `HistoryRetired` events are not part of it.
public struct EventDigest: Sendable, Equatable, CustomStringConvertible {
    public private(set) var value: UInt64

    public init(_ value: UInt64 = 0) { self.value = value }

    /// Reads a digest written by ``description``.
    public init?(hex: String) {
        guard let value = UInt64(hex, radix: 16) else { return nil }
        self.value = value
    }

    /// Sixteen hexadecimal digits.
    public var description: String { FNV1a.hex(value) }

    /// Whether an event counts toward digests (retention's summaries do not).
    public static func covers(_ event: Event) -> Bool { event.stream != EventLog.retiredStream }

    /// Adds an event (if it counts).
    public mutating func add(_ event: Event) {
        guard Self.covers(event) else { return }
        value &+= Self.hash(event)
    }

    /// Adds another digest.
    public mutating func add(_ other: EventDigest) { value &+= other.value }

    /// The hash of one event.
    public static func hash(_ event: Event) -> UInt64 {
        var hash = FNV1a()
        hash.addField(littleEndian: event.seq)
        hash.addField(event.stream)
        hash.addField(littleEndian: event.version)
        hash.addField(event.type)
        hash.addField(JSONWriter.canonical(event.data))
        hash.addField((event.metadata.correlationID ?? ""))
        hash.addField((event.metadata.causationID ?? ""))
        hash.addField(littleEndian: event.metadata.timeMs)
        return hash.value
    }
}
