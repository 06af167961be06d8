import ArgumentParser

/// `zsaga-log`: inspect, verify and stress an event log file offline.
@main
struct ZSagaLog: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zsaga-log",
        abstract: "Inspect, verify and stress-test a ZSaga event log (an SQLite file).",
        subcommands: [Dump.self, Verify.self, ArchiveLog.self, Stress.self])
}

