/// Failures that stop a host.
public enum HostError: Error, CustomStringConvertible, Sendable {
    /// A system call failed.
    case system(String)
    /// The log failed or refused a write the host cannot recover from in memory; restart to
    /// rebuild state from the log. `cause` is the log's own error (``EventLogError``, with
    /// SQLite's code), when there is one.
    case fatalStorage(String, cause: (any Error)? = nil)
    /// State could not be rebuilt from the log (`cause`: the fold's or the log's error).
    case recovery(String, cause: (any Error)? = nil)
    /// A configuration value is unusable.
    case configuration(String)

    public var description: String {
        switch self {
        case .system(let message): return "system error: \(message)"
        case .fatalStorage(let message, let cause):
            return "storage failure, stopping so a restart rebuilds state from the log: \(message)\(Self.text(cause))"
        case .recovery(let message, let cause): return "cannot rebuild state from the log: \(message)\(Self.text(cause))"
        case .configuration(let message): return "configuration error: \(message)"
        }
    }

    /// The error behind this one, when it has one.
    public var cause: (any Error)? {
        switch self {
        case .fatalStorage(_, let cause), .recovery(_, let cause): return cause
        case .system, .configuration: return nil
        }
    }

    private static func text(_ cause: (any Error)?) -> String { cause.map { ": \($0)" } ?? "" }
}
