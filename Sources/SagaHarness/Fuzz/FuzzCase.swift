/// The kinds of hostile input the wire fuzzer sends.
public enum FuzzCategory: String, CaseIterable, Sendable, Comparable {
    /// Random bytes of random length (including none).
    case randomBytes = "random_bytes"
    /// A valid query (or a command of an unknown type) with bytes flipped, inserted, deleted or repeated.
    case mutated
    /// A valid envelope in the wrong number of frames.
    case frameCount = "frame_count"
    /// Empty frames, alone or around a body.
    case emptyFrames = "empty_frames"
    /// An envelope whose strings hold invalid UTF-8 (stray continuation bytes, overlong forms, surrogates).
    case invalidUTF8 = "invalid_utf8"
    /// A valid envelope cut short.
    case truncated
    /// Arrays and objects nested far deeper than the parser allows.
    case deepNesting = "deep_nesting"
    /// Numbers beyond every range: 1e400, 30-digit integers, -0, exponents of thousands of digits.
    case hugeNumbers = "huge_numbers"
    /// Well-formed envelopes of known types whose values break a limit: negative, zero and
    /// enormous quantities and prices, fractions, wrong types, over-long or empty ids, too many
    /// or duplicate items, unknown saga types, invalid fault specs.
    case hostileValues = "hostile_values"
    /// Envelopes with a wrong version, kind, id or body.
    case badEnvelope = "bad_envelope"
    /// Messages over the size limit: just over (answered `too_large`) or far over (dropped by
    /// libzmq with the connection).
    case oversized

    public static func < (lhs: FuzzCategory, rhs: FuzzCategory) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One message the fuzzer sends, with what must happen to it.
public struct FuzzCase: Sendable {
    /// What kind of input it is.
    public var category: FuzzCategory
    /// The frames, as a DEALER sends them.
    public var frames: [[UInt8]]
    /// Whether the process must answer. Only messages over libzmq's own size limit go
    /// unanswered (libzmq drops them with the connection).
    public var expectsReply: Bool
    /// Whether only an error may answer it: everything but a mutated query is invalid by
    /// construction, so a success reply is a finding.
    public var mustBeRefused: Bool
    /// The envelope id when there is one, to match a success reply to the case.
    public var id: String?
    /// A short description for findings (the type and the hostile field).
    public var summary: String

    public init(category: FuzzCategory, frames: [[UInt8]], expectsReply: Bool = true, mustBeRefused: Bool = true,
                id: String? = nil, summary: String = "") {
        self.category = category
        self.frames = frames
        self.expectsReply = expectsReply
        self.mustBeRefused = mustBeRefused
        self.id = id
        self.summary = summary.isEmpty ? category.rawValue : summary
    }

    /// Whether libzmq drops it with the connection, so it must go on a throwaway socket.
    public var dropsConnection: Bool { !expectsReply }
}

import SagaClient