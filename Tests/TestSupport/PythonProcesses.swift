import Foundation

/// Python programs run as processes of a test cluster: a bin directory holding the package's
/// executables plus a wrapper script per Python program, with `clients/python` on the path.
public enum PythonProcesses {
    /// The repository's root.
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Whether `python3` can import pyzmq (./scripts/bootstrap.sh installs it).
    public static let available: Bool = {
        guard let probe = try? ChildProcess("/usr/bin/env", ["python3", "-c", "import zmq"]) else { return false }
        return probe.wait(seconds: 30) == 0
    }()

    /// A bin directory with links to the built executables and, for each entry of `scripts`,
    /// an executable of that name running the script (a path under `clients/python`).
    public static func binDirectory(scripts: [String: String]) throws -> TempDirectory {
        let bin = try TempDirectory("bin")
        for name in try FileManager.default.contentsOfDirectory(atPath: Binaries.directory.path) {
            try? FileManager.default.createSymbolicLink(atPath: bin.file(name),
                                                        withDestinationPath: Binaries.directory.appendingPathComponent(name).path)
        }
        let python = repository.appendingPathComponent("clients/python").path
        for (name, script) in scripts {
            try """
                #!/bin/sh
                PYTHONPATH=\(python) exec python3 \(python)/\(script) "$@"
                """.write(toFile: bin.file(name), atomically: true, encoding: .utf8)
            chmod(bin.file(name), 0o755)
        }
        return bin
    }
}
