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
    public var description: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

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
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
            for byte in bytes {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
            hash ^= 0xFF
            hash = hash &* 0x0000_0100_0000_01B3
        }
        mix(withUnsafeBytes(of: event.seq.littleEndian, Array.init))
        mix(event.stream.utf8)
        mix(withUnsafeBytes(of: event.version.littleEndian, Array.init))
        mix(event.type.utf8)
        mix(JSONWriter.canonical(event.data))
        mix((event.metadata.correlationID ?? "").utf8)
        mix((event.metadata.causationID ?? "").utf8)
        mix(withUnsafeBytes(of: event.metadata.timeMs.littleEndian, Array.init))
        return hash
    }
}
