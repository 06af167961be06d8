/// Where a saga is, as users see it.
public enum SagaStatus: String, Sendable, CaseIterable {
    /// Running its steps forward (or its completion actions).
    case running
    /// A step failed; the succeeded steps are being compensated in reverse order.
    case compensating
    /// Every step and completion action succeeded.
    case completed
    /// A step failed and every succeeded step was compensated.
    case compensated
    /// A compensation or completion action kept failing past its limit; an operator must act
    /// (`sagactl retry`).
    case stuck

    /// Whether the saga will not move again on its own.
    public var isTerminal: Bool { self == .completed || self == .compensated }
}
