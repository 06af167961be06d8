/// Where one node of a saga stands: its action and, apart from it, its compensation.
public struct NodeStatus: Sendable, Equatable {
    /// What became of the node's action.
    public enum Action: String, Sendable {
        /// Not sent: its predecessors have not all succeeded (or the saga stopped going forward).
        case waiting
        /// Sent; its outcome is pending.
        case running
        /// It took effect.
        case succeeded
        /// A business rule or its service refused it: it never applied.
        case rejected
        /// It ran out of attempts: it may have applied.
        case exhausted
    }

    /// What became of the node's compensation.
    public enum Compensation: String, Sendable {
        /// Not owed.
        case none
        /// Owed: it runs once the compensations of every node after this one are done.
        case owed
        /// Sent; its outcome is pending.
        case running
        /// It took effect (or, without the action, fenced it).
        case done
    }

    public var action: Action
    public var compensation: Compensation

    public init(action: Action = .waiting, compensation: Compensation = .none) {
        self.action = action
        self.compensation = compensation
    }
}
