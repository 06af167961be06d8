import Foundation
import SagaWire

/// One `sagactl chaos … --json` run as a test runs it: its exit status (`nil` when it did not
/// finish in time), its JSON report (the last line) and its whole output, for messages.
public struct ChaosRun {
    public let status: Int32?
    public let report: JSON
    public let text: String

    /// Runs `sagactl chaos` with `arguments` (plus `--json`), waiting at most `seconds`.
    public init(_ arguments: [String], seconds: Double) throws {
        let chaos = try ChildProcess(try Binaries.path("sagactl"), ["chaos"] + arguments + ["--json"])
        status = chaos.wait(seconds: seconds)
        guard let last = chaos.stdoutLines.last else {
            throw TestSupportError("sagactl chaos printed no report; it ends: \(chaos.stderrLines.suffix(5))")
        }
        report = try JSONParser.parse(last)
        text = chaos.stdoutLines.joined(separator: "\n")
    }
}
