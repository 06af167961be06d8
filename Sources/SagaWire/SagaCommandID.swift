/// What a command a saga sends is for.
public enum CommandRole: Sendable, Hashable {
    /// The action of step `step` (0-based).
    case action(step: Int)
    /// The compensation of step `step`.
    case compensation(step: Int)
    /// The finishing action `index` of `on_complete`.
    case completion(index: Int)
}

/// The id of a command a saga sends, built and parsed here and nowhere else:
/// `<saga>/<step>/action`, `<saga>/<step>/compensation` or `<saga>/complete/<index>`, followed
/// by `/r<round>` after an operator retry (`sagactl retry`).
///
/// Services use the whole id as the idempotency key; the orchestrator, the checkers and the
/// simulation read the saga and the step back from it. A saga id may itself contain `/`, so
/// the id is read from its end.
public struct SagaCommandID: Sendable, Hashable, CustomStringConvertible {
    /// The saga that sends the command.
    public var sagaID: String
    /// What the command is for.
    public var role: CommandRole
    /// The operator-retry round (0 before any retry).
    public var round: Int

    public init(sagaID: String, role: CommandRole, round: Int = 0) {
        self.sagaID = sagaID
        self.role = role
        self.round = round
    }

    /// The id as sent on the wire.
    public var description: String {
        let base: String
        switch role {
        case .action(let step): base = "\(sagaID)/\(step)/action"
        case .compensation(let step): base = "\(sagaID)/\(step)/compensation"
        case .completion(let index): base = "\(sagaID)/complete/\(index)"
        }
        return round == 0 ? base : "\(base)/r\(round)"
    }

    /// Reads an id; `nil` for anything that is not a saga's command id (a client's own command,
    /// say).
    public init?(parsing id: String) {
        var rest = Substring(id).utf8
        guard var kind = Self.popLast(&rest) else { return nil }
        var round = 0
        if kind.first == UInt8(ascii: "r"), let number = Self.number(kind.dropFirst()) {
            round = number
            guard let previous = Self.popLast(&rest) else { return nil }
            kind = previous
        }
        guard let middle = Self.popLast(&rest), !rest.isEmpty else { return nil }
        if middle.elementsEqual("complete".utf8), let index = Self.number(kind) {
            role = .completion(index: index)
        } else if let step = Self.number(middle), kind.elementsEqual("action".utf8) {
            role = .action(step: step)
        } else if let step = Self.number(middle), kind.elementsEqual("compensation".utf8) {
            role = .compensation(step: step)
        } else {
            return nil
        }
        sagaID = String(Substring(rest))
        self.round = round
    }

    /// The saga id in a command id, or `nil` when it is not a saga's command id; the same
    /// reading as ``init(parsing:)``, for the hot path that needs only the saga.
    public static func sagaID(in id: String) -> String? {
        SagaCommandID(parsing: id)?.sagaID
    }

    /// Removes and returns the last `/`-separated component.
    private static func popLast(_ utf8: inout Substring.UTF8View) -> Substring.UTF8View? {
        guard let slash = utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        let component = utf8[utf8.index(after: slash)...]
        utf8 = utf8[..<slash]
        return component
    }

    /// A component of decimal digits only, as a number (at most 9 digits: no overflow).
    private static func number(_ text: Substring.UTF8View) -> Int? {
        guard !text.isEmpty, text.count <= 9 else { return nil }
        var value = 0
        for byte in text {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
