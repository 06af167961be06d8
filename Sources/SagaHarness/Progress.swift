import Foundation
import SagaClient

/// Shows progress on standard error: a live bar on a terminal, plain periodic lines otherwise
/// (so logs and CI output stay readable).
public final class Progress {
    private let total: Int
    private let label: String
    /// Whether standard error is a terminal.
    public let isTerminal: Bool
    private var lastLine = Date.distantPast
    private var drawn = false
    /// Seconds between plain lines when not on a terminal.
    public var plainInterval: Double = 5

    public init(total: Int, label: String) {
        self.total = total
        self.label = label
        isTerminal = isatty(2) == 1
    }

    /// How often the caller should report: often on a terminal, rarely otherwise.
    public var updateInterval: Double { isTerminal ? 0.2 : 1 }

    /// Reports `done` of the total, with a rate and any extra counts.
    public func update(done: Int, rate: Double, details: String) {
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 0
        if isTerminal {
            let width = 28
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let eta = rate > 0 && done < total ? String(format: "  eta %.0fs", Double(total - done) / rate) : ""
            let line = String(format: "\r%@ %@ %d/%d %3.0f%%  %.0f/s  %@%@\u{1B}[K", label, bar, done, total, fraction * 100, rate, details, eta)
            FileHandle.standardError.write(Data(line.utf8))
            drawn = true
        } else if Date().timeIntervalSince(lastLine) >= plainInterval || done >= total {
            lastLine = Date()
            let line = String(format: "%@: %d/%d (%.0f%%), %.0f/s, %@\n", label, done, total, fraction * 100, rate, details)
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// A plain message (on a terminal, below the bar).
    public func note(_ message: String) {
        if isTerminal && drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// Ends the bar with a newline.
    public func finish() {
        if isTerminal && drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
    }
}
