/// The 64-bit FNV-1a hash, one byte at a time: the event digests (``EventDigest``), the
/// simulation's log digest and the fixtures' digests all fold bytes with it.
///
/// Its methods take concrete types, not a generic sequence: called from other modules, a
/// generic one ran unspecialized, through the `Sequence` witness for every byte (a profile of
/// the monitor showed it at 2.6% of its time).
package struct FNV1a: Sendable, Equatable {
    /// The hash of everything added so far.
    package private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    package init() {}

    /// Adds one byte.
    @inline(__always) package mutating func add(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    /// Adds bytes.
    package mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var hash = value
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        value = hash
    }

    /// Adds bytes.
    package mutating func add(_ bytes: [UInt8]) { bytes.withUnsafeBytes { add($0) } }

    /// Adds a text's UTF-8 bytes.
    package mutating func add(_ text: String) {
        var text = text
        text.withUTF8 { add(UnsafeRawBufferPointer($0)) }
    }

    /// Adds the eight bytes of `number`, least significant first.
    package mutating func add(littleEndian number: Int64) {
        withUnsafeBytes(of: number.littleEndian) { add($0) }
    }

    /// Adds bytes as one field: the bytes, then `separator`, so that moving a byte from one
    /// field to the next changes the hash.
    package mutating func addField(_ bytes: [UInt8], separator: UInt8 = 0xFF) {
        add(bytes)
        add(separator)
    }

    /// Adds a text as one field (its UTF-8 bytes, then `separator`).
    package mutating func addField(_ text: String, separator: UInt8 = 0xFF) {
        add(text)
        add(separator)
    }

    /// Adds a number as one field (its eight little-endian bytes, then `separator`).
    package mutating func addField(littleEndian number: Int64, separator: UInt8 = 0xFF) {
        add(littleEndian: number)
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
