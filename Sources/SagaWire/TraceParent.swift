/// A W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/): version `00`, a
/// 16-byte trace id, an 8-byte parent span id and the flags, in lower-case hex:
/// `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`. Commands and queries may carry
/// one (member `traceparent`): the span of the sender that the receiver's span continues.
public struct TraceParent: Sendable, Equatable, CustomStringConvertible {
    /// The header value.
    public let description: String

    /// Reads a header value; `nil` for anything that is not a valid version-00 `traceparent`
    /// (wrong length or separators, upper-case or non-hex digits, an all-zero trace or span id).
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 55, bytes[2] == 0x2D, bytes[35] == 0x2D, bytes[52] == 0x2D,
              bytes[0] == 0x30, bytes[1] == 0x30 else { return nil }
        func hex(_ range: Range<Int>) -> Bool { bytes[range].allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) } }
        func zero(_ range: Range<Int>) -> Bool { bytes[range].allSatisfy { $0 == 0x30 } }
        guard hex(3..<35), hex(36..<52), hex(53..<55), !zero(3..<35), !zero(36..<52) else { return nil }
        description = text
    }

    /// The trace id, 32 hex digits.
    public var traceID: Substring { description.dropFirst(3).prefix(32) }
    /// The parent span id, 16 hex digits.
    public var spanID: Substring { description.dropFirst(36).prefix(16) }
}

extension Fields {
    /// An optional `traceparent` member; `invalid_argument` when it is not a valid one.
    public func optionalTraceParent(_ key: String) throws(WireError) -> TraceParent? {
        guard let text = try optionalString(key, maxBytes: 64) else { return nil }
        guard let parent = TraceParent(text) else {
            throw WireError(.invalidArgument, "must be a W3C traceparent, 00-<32 hex>-<16 hex>-<2 hex>", field: path(of: key))
        }
        return parent
    }
}
