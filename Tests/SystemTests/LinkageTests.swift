import Foundation
import SagaWire
import Testing
import TestSupport

/// The offline tools link no socket code: `zsaga-log` (the log checker, verify, archive) and
/// `zsaga-sim` (the engine on virtual time) need neither libzmq nor the shell around sockets,
/// metrics export or trace export. Read off the built executables: `ldd` for the shared
/// libraries, `nm` for the Swift modules linked in statically (a module's symbols carry its
/// name, mangled as its length and then the name).
@Suite struct LinkageTests {
    static let offlineTools = ["zsaga-log", "zsaga-sim"]
    static let foreignModules = ["ZeroMQ", "ServiceKit", "Orchestration", "Prometheus", "OTel", "Hummingbird"]

    @Test(arguments: offlineTools) func anOfflineToolLinksNoLibzmq(_ tool: String) throws {
        let libraries = try Self.output("ldd", [try Binaries.path(tool)])
        #expect(!libraries.isEmpty, "ldd printed nothing for \(tool)")
        #expect(!libraries.contains("libzmq"), "\(tool) links libzmq:\n\(libraries)")
    }

    @Test(arguments: offlineTools) func anOfflineToolLinksNoSocketShell(_ tool: String) throws {
        let symbols = try Self.output("nm", [try Binaries.path(tool)])
        #expect(symbols.contains("8SagaWire"), "nm found no SagaWire symbols in \(tool): the check would prove nothing")
        for module in Self.foreignModules {
            #expect(!symbols.contains("\(module.utf8.count)\(module)"), "\(tool) links the module \(module)")
        }
    }

    @Test func theOrchestratorDoesLinkThem() throws {
        // The check can fail: the process that does use sockets shows them.
        let path = try Binaries.path("saga-orchestrator")
        #expect(try Self.output("ldd", [path]).contains("libzmq"))
        #expect(try Self.output("nm", [path]).contains("6ZeroMQ"))
    }

    /// The client library stands on its own: its targets, followed through the manifest, reach
    /// ZeroMQ, the wire and the client's modules (topology, keys, streams), and never the shell,
    /// the log or SQLite.
    @Test func theClientLibraryLinksNoShellNoLogAndNoSQLite() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dump-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: scratch) }
        // A scratch path of its own: the package's .build is locked by the running tests.
        let manifest = try JSONParser.parse(Array(try Self.output("swift", [
            "package", "--package-path", root.path, "--scratch-path", scratch.path, "dump-package",
        ]).utf8))
        var dependencies: [String: [String]] = [:]
        for target in manifest["targets"]?.arrayValue ?? [] {
            guard let name = target["name"]?.stringValue else { continue }
            dependencies[name] = (target["dependencies"]?.arrayValue ?? []).compactMap { dependency in
                (dependency["byName"] ?? dependency["target"] ?? dependency["product"])?.arrayValue?.first?.stringValue
            }
        }
        var reached: Set<String> = []
        var next = ["SagaClient"]
        while let name = next.popLast() {
            guard reached.insert(name).inserted else { continue }
            next += dependencies[name] ?? []
        }
        #expect(reached.isSuperset(of: ["ZeroMQ", "SagaWire", "ClusterTopology", "ClusterKeys", "EventStreams"]), "\(reached.sorted())")
        for forbidden in ["ServiceKit", "HostCore", "EventLog", "GRDB", "ServiceModel", "Prometheus", "OTel"] {
            #expect(!reached.contains(forbidden), "SagaClient reaches \(forbidden): \(reached.sorted())")
        }
    }

    static func output(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestSupportError("\(program) failed for \(arguments)") }
        return String(decoding: data, as: UTF8.self)
    }
}
