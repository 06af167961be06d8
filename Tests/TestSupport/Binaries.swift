import Foundation

/// Finds the executables this package built, for tests that run them as real processes.
public enum Binaries {
    /// The directory holding the built products: `$ZSAGA_BIN_DIR`, or the directory of the test
    /// runner (SwiftPM puts test bundles beside the executables).
    public static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["ZSAGA_BIN_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        var candidate = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        // On macOS the runner sits inside Foo.xctest/Contents/MacOS.
        while candidate.path != "/" && candidate.path.contains(".xctest") {
            candidate.deleteLastPathComponent()
        }
        return candidate
    }

    /// The path of a built executable; fails the calling test with a clear message when missing.
    public static func path(_ name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw TestSupportError("executable \(name) not found in \(directory.path); run `swift build` first "
                                   + "(./scripts/test.sh does) or set ZSAGA_BIN_DIR")
        }
        return url.path
    }
}

/// A failure in test scaffolding, with a message that says what to do.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A fresh directory under the system temp directory, removed by ``remove()``.
public struct TempDirectory: Sendable {
    /// Its URL.
    public let url: URL
    /// Its path.
    public var path: String { url.path }

    /// Creates a directory named after `prefix` plus a random suffix.
    public init(_ prefix: String = "zsaga-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A path inside the directory.
    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Deletes the directory and everything in it.
    public func remove() { try? FileManager.default.removeItem(at: url) }
}
