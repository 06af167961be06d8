import Foundation
import ArgumentParser
import SagaWire

/// How long a process keeps the history of settled sagas: `--retention DURATION`, env
/// `ZSAGA_RETENTION` (`7d`, `12h`, `30m`, `90s`, `500ms`; `off` keeps everything).
///
/// The default is 7 days: long enough to investigate an incident, to answer for any saga of the
/// past week, and for an operator to resolve a stuck saga (a command for a saga older than the
/// window is refused `expired`, so a stuck saga must be retried or settled within it); short
/// enough that disk stays at about a week of traffic.
public struct RetentionWindow: Sendable, Equatable, ExpressibleByArgument, CustomStringConvertible {
    /// The window in milliseconds; 0 keeps everything.
    public let milliseconds: Int64

    /// Keeps everything: nothing is retired and no command is `expired`.
    public static let off = RetentionWindow(milliseconds: 0)
    /// Seven days.
    public static let standard = RetentionWindow(milliseconds: 7 * 86_400_000)

    public init(milliseconds: Int64) {
        self.milliseconds = max(0, milliseconds)
    }

    /// Reads `7d`, `12h`, `30m`, `90s`, `500ms`, `off` or `0`.
    public init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        if text == "off" || text == "0" || text == "none" {
            self = .off
            return
        }
        let units: [(String, Int64)] = [("ms", 1), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            guard let number = Int64(text.dropLast(suffix.count)), number > 0, number <= Int64.max / factor else { return nil }
            self.init(milliseconds: number * factor)
            return
        }
        return nil
    }

    /// Whether anything is retired.
    public var isOn: Bool { milliseconds > 0 }

    /// The start of the window at `now` (ms since the epoch): what was last active before it
    /// is retired, and a saga that started before it is `expired`.
    public func start(at now: Int64) -> Int64 { now - milliseconds }

    /// The `expired` refusal of a saga's command whose saga started before the window at `now`:
    /// its records may be retired, so it must not be taken as new (docs/FAULTS.md,
    /// "Retention"). A command that is not a saga's (no saga command id) or carries no
    /// `saga_started_ms` (not sent by an orchestrator) is not judged; `nil` when it may go on.
    public func refusal(of command: Command, now: Int64) -> WireError? {
        guard isOn, let started = command.body["saga_started_ms"]?.intValue, started < start(at: now),
              SagaCommandID(parsing: command.id) != nil else { return nil }
        return WireError(.expired, "saga \(command.correlationID ?? "?") started at \(started), before the retention window "
                         + "(\(self)); its records may be gone, so the command is refused", field: "body.saga_started_ms")
    }

    public var description: String {
        guard isOn else { return "off" }
        for (suffix, factor) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)] where milliseconds % factor == 0 {
            return "\(milliseconds / factor)\(suffix)"
        }
        return "\(milliseconds)ms"
    }
}

/// A process's retention: the window, and where retired events are archived first.
public struct RetentionSettings: Sendable, Equatable {
    /// How long settled history is kept.
    public var window: RetentionWindow
    /// Where retired events are written (compressed JSON lines) before they are deleted;
    /// `nil`: they are deleted without an archive.
    public var archiveDirectory: String?

    public init(window: RetentionWindow = .standard, archiveDirectory: String? = nil) {
        self.window = window
        self.archiveDirectory = archiveDirectory
    }

    /// Nothing retired.
    public static let off = RetentionSettings(window: .off)
}
