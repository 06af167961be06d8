/// The 64-bit FNV-1a hash, one byte at a time: the event digests (``EventDigest``), the
/// simulation's log digest and the fixtures' digests all fold bytes with it.
package struct FNV1a: Sendable, Equatable {
    /// The hash of everything added so far.
    package private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    package init() {}

    /// Adds one byte.
    @inlinable package mutating func add(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    /// Adds bytes.
    @inlinable package mutating func add<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        for byte in bytes { add(byte) }
    }

    /// Adds bytes as one field: the bytes, then `separator`, so that moving a byte from one
    /// field to the next changes the hash.
    @inlinable package mutating func addField<S: Sequence>(_ bytes: S, separator: UInt8 = 0xFF) where S.Element == UInt8 {
        add(bytes)
        add(separator)
    }

    /// Sixteen hexadecimal digits of `value`.
    package static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Sixteen hexadecimal digits of the hash.
    package var hex: String { Self.hex(value) }
}
