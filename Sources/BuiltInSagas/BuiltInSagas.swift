import Foundation
import SagaCore
import SagaWire

/// The saga types the orchestrator runs when no definitions file replaces them: the order saga
/// of the original design notes, as a definitions file (`order.json`) installed with the
/// binaries. Its steps, services and events are data; the engine knows none of them.
///
/// The file is looked for, in order, in the resources SwiftPM builds beside the executables
/// (`ZSaga_BuiltInSagas.resources/order.json`), and beside the executable itself
/// (`order.json`). Copy either with the binaries when installing them (compose/Dockerfile does).
public enum BuiltInSagas {
    /// The file's name.
    public static let orderFile = "order.json"
    /// The directory of resources SwiftPM builds beside the executables.
    public static let resourceDirectory = "ZSaga_BuiltInSagas.resources"

    /// The built-in saga types, read from the installed file.
    public static func load(beside executable: URL? = executableDirectory) throws(BuiltInSagasError) -> [SagaDefinition] {
        let candidates = self.candidates(beside: executable)
        guard let path = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) else {
            throw .notFound(candidates)
        }
        guard let bytes = FileManager.default.contents(atPath: path) else { throw .notFound(candidates) }
        do {
            return try SagaDefinition.parseFile(Array(bytes))
        } catch {
            throw .invalid(path: path, cause: error)
        }
    }

    /// Where the file is looked for.
    public static func candidates(beside executable: URL?) -> [String] {
        var paths: [String] = []
        if let executable {
            paths.append(executable.appendingPathComponent(resourceDirectory).appendingPathComponent(orderFile).path)
            paths.append(executable.appendingPathComponent(orderFile).path)
        }
        return paths
    }

    /// The directory of the running executable.
    public static var executableDirectory: URL? {
        Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// The built-in order saga, for the test kits and the simulation: a missing or broken file
    /// stops the process with the reason (the orchestrator uses ``load(beside:)`` and refuses to
    /// start instead).
    public static let order: SagaDefinition = {
        do {
            guard let order = try load().first(where: { $0.type == "order" }) else {
                fatalError("the built-in definitions file holds no order saga")
            }
            return order
        } catch {
            fatalError("\(error)")
        }
    }()
}

/// Why the built-in saga types could not be read.
public enum BuiltInSagasError: Error, CustomStringConvertible {
    /// The file is in none of the places it is looked for.
    case notFound([String])
    /// The file is not a valid definitions file.
    case invalid(path: String, cause: WireError)

    public var description: String {
        switch self {
        case .notFound(let paths):
            return "the built-in saga definitions (\(BuiltInSagas.orderFile)) are not installed: looked in "
                + paths.joined(separator: ", ") + "; install them beside the binaries, or name a file with --definitions"
        case .invalid(let path, let cause):
            return "the built-in saga definitions in \(path) are invalid: \(cause.field.map { "\($0): " } ?? "")\(cause.message)"
        }
    }
}

extension SagaDefinition {
    /// The built-in order saga (``BuiltInSagas/order``).
    public static var order: SagaDefinition { BuiltInSagas.order }
}
