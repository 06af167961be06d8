import Foundation
import ServiceKit

/// A real child process started by a test, with its output collected line by line.
///
/// Tests stop children by PID with real signals (SIGTERM, SIGKILL, SIGSTOP, SIGCONT).
public final class ChildProcess: Sendable {
    /// The executable's path.
    public let executable: String
    /// The arguments.
    public let arguments: [String]
    /// The process id.
    public let pid: Int32
    private let process: Process
    private let output: LineCollector
    private let errors: LineCollector

    /// Starts `executable` with `arguments`, with `environment` added to this process's own;
    /// standard output and standard error are collected line by line.
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        self.executable = executable
        self.arguments = arguments
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let stdout = Pipe()
        process.standardOutput = stdout
        output = LineCollector(stdout.fileHandleForReading)
        let stderr = Pipe()
        process.standardError = stderr
        errors = LineCollector(stderr.fileHandleForReading)
        try process.run()
        self.process = process
        pid = process.processIdentifier
    }

    /// Sends a signal (e.g. `SIGKILL`).
    public func signal(_ number: Int32) {
        kill(pid, number)
    }

    /// Whether the process is still running.
    public var isRunning: Bool { process.isRunning }

    /// Waits up to `seconds` for the process to exit.
    ///
    /// - Returns: the exit status (the signal number for a signalled exit, see ``wasSignalled``),
    ///   or `nil` on timeout.
    @discardableResult
    public func wait(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() > deadline { return nil }
            Thread.sleep(forTimeInterval: 0.01)
        }
        output.waitForEOF(seconds: 2)
        return process.terminationStatus
    }

    /// Whether the process ended by a signal rather than by exiting.
    public var wasSignalled: Bool { process.terminationReason == .uncaughtSignal }

    /// Stops the process with SIGKILL and waits for it; does nothing if it already ended.
    public func killAndWait() {
        if process.isRunning {
            signal(SIGKILL)
            wait(seconds: 10)
        }
    }

    /// Lines written to standard output so far.
    public var stdoutLines: [String] { output.lines }
    /// Lines written to standard error so far.
    public var stderrLines: [String] { errors.lines }

    /// Waits until a line of standard output satisfies `predicate`, up to `seconds`.
    public func waitForLine(seconds: Double, _ predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let line = output.lines.first(where: predicate) { return line }
            if !process.isRunning { return output.lines.first(where: predicate) }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return nil
    }
}

/// Reads a pipe on a background thread and keeps its complete lines.
final class LineCollector: Sendable {
    private let state = LockedValue(State())
    private struct State {
        var lines: [String] = []
        var partial = Data()
        var eof = false
    }

    init(_ handle: FileHandle) {
        let state = self.state
        let thread = Thread {
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                state.withLock { s in
                    s.partial.append(chunk)
                    while let newline = s.partial.firstIndex(of: 0x0A) {
                        s.lines.append(String(decoding: s.partial[s.partial.startIndex..<newline], as: UTF8.self))
                        s.partial.removeSubrange(s.partial.startIndex...newline)
                    }
                }
            }
            state.withLock { s in
                if !s.partial.isEmpty { s.lines.append(String(decoding: s.partial, as: UTF8.self)) }
                s.partial.removeAll()
                s.eof = true
            }
        }
        thread.start()
    }

    var lines: [String] { state.withLock { $0.lines } }

    func waitForEOF(seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while !state.withLock({ $0.eof }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
    }
}
