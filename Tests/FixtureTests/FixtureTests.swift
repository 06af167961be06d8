import Foundation
import SagaWire
import Testing
import TestSupport

/// The gate of every change that must leave behaviour alone: logs written by an earlier build
/// (`Tests/Fixtures/logs`, each with the `expected.json.gz` that build's code replayed them to)
/// replay strictly, with today's code, to the same digests, snapshots, read side, recovery
/// and check report (``FixtureReplay``).
///
/// `ZSAGA_RECORD_FIXTURES=1 swift test --filter FixtureTests` writes `expected.json.gz` anew
/// from the code under test: only on the build a fixture's logs came from
/// (`Tests/Fixtures/README.md`).
@Suite struct FixtureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/logs")

    static var fixtures: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).filter {
            FileManager.default.fileExists(atPath: root.appendingPathComponent("\($0)/fixture.json").path)
        }.sorted()
    }

    @Test func everyFixtureIsThere() {
        #expect(Set(Self.fixtures).isSuperset(of: ["chaos-seed-1", "chaos-seed-2", "chaos-seed-3", "run-2000-c64", "loyalty"]))
    }

    @Test(arguments: fixtures) func replaysToWhatItsBuildReplayedItTo(_ name: String) throws {
        let fixture = Self.root.appendingPathComponent(name)
        let description = try JSONParser.parse(Array(try Data(contentsOf: fixture.appendingPathComponent("fixture.json"))))
        let participants = (description["participants"]?.arrayValue ?? []).compactMap(\.stringValue)
        let directory = try TempDirectory("fixture-\(name)")
        defer { directory.remove() }
        for file in try FileManager.default.contentsOfDirectory(atPath: fixture.path) where file.hasSuffix(".sqlite.gz") {
            let process = String(file.dropLast(".sqlite.gz".count))
            try FileManager.default.createDirectory(atPath: directory.file(process), withIntermediateDirectories: true)
            let bytes = try Gzip.decompress(fixture.appendingPathComponent(file).path)
            try Data(bytes).write(to: URL(fileURLWithPath: directory.file("\(process)/\(process).sqlite")))
        }
        let replayed = try FixtureReplay.replay(directory: directory.path, participants: participants)
        let expectedPath = fixture.appendingPathComponent("expected.json.gz").path
        if ProcessInfo.processInfo.environment["ZSAGA_RECORD_FIXTURES"] == "1" {
            try Gzip.compress(JSONWriter.canonical(replayed), to: expectedPath)
            return
        }
        let expected = try JSONParser.parse(try Gzip.decompress(expectedPath))
        let differences = Self.differences(expected, replayed, path: name)
        #expect(differences.isEmpty, "\(differences.count) differences, first: \(differences.prefix(5).joined(separator: "\n"))")
    }

    /// Where two documents differ, by path (at most 20).
    static func differences(_ a: JSON, _ b: JSON, path: String) -> [String] {
        var found: [String] = []
        func walk(_ a: JSON, _ b: JSON, _ path: String) {
            guard found.count < 20 else { return }
            switch (a, b) {
            case (.object(let x), .object(let y)):
                for key in Set(x.keys).union(y.keys).sorted() { walk(x[key] ?? .null, y[key] ?? .null, "\(path).\(key)") }
            case (.array(let x), .array(let y)) where x.count == y.count:
                for (index, pair) in zip(x, y).enumerated() { walk(pair.0, pair.1, "\(path)[\(index)]") }
            default:
                if JSONWriter.canonical(a) != JSONWriter.canonical(b) {
                    found.append("\(path): expected \(JSONWriter.encode(a).prefix(400)), replayed \(JSONWriter.encode(b).prefix(400))")
                }
            }
        }
        walk(a, b, path)
        return found
    }
}

/// gzip, through the `gzip` program every Debian has.
enum Gzip {
    static func decompress(_ path: String) throws -> [UInt8] {
        try run(["-dc", path], input: nil)
    }

    static func compress(_ bytes: [UInt8], to path: String) throws {
        try Data(try run(["-9nc"], input: bytes)).write(to: URL(fileURLWithPath: path))
    }

    private static func run(_ arguments: [String], input: [UInt8]?) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip"] + arguments
        let output = Pipe()
        let inputPipe = Pipe()
        process.standardOutput = output
        process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
        try process.run()
        if let input {
            // Written from another thread: gzip's output would fill its pipe while we write.
            let writer = inputPipe.fileHandleForWriting
            Thread.detachNewThread {
                writer.write(Data(input))
                try? writer.close()
            }
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestSupportError("gzip \(arguments.joined(separator: " ")) failed") }
        return Array(data)
    }
}
