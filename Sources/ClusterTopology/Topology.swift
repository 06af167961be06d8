import Foundation
import SagaWire

/// What a process of a cluster does.
public enum ProcessRole: String, Sendable, CaseIterable {
    /// Drives sagas (exactly one per cluster).
    case orchestrator
    /// A participant: takes commands, publishes events (order, inventory…, or one of yours).
    case service
    /// Follows every other process (at most one).
    case monitor
}

/// One process of a cluster: its name (the prefix of its command types, its key name, its
/// data directory), what it does, how it is started and where it listens.
public struct ProcessSpec: Sendable, Equatable {
    /// Its name: lowercase letters, digits and `-`, e.g. `order`, `saga`, `loyalty`.
    public var name: String
    public var role: ProcessRole
    /// The executable that runs it, e.g. `order-service`.
    public var executable: String
    /// Its ROUTER and PUB endpoints as its clients reach them (also what it binds by default).
    public var router: String
    public var pub: String

    public init(name: String, role: ProcessRole, executable: String, router: String, pub: String) {
        self.name = name
        self.role = role
        self.executable = executable
        self.router = router
        self.pub = pub
    }

    /// A process on loopback TCP ports.
    public init(name: String, role: ProcessRole, executable: String, ports: (router: Int, pub: Int)) {
        self.init(name: name, role: role, executable: executable, router: "tcp://127.0.0.1:\(ports.router)",
                  pub: "tcp://127.0.0.1:\(ports.pub)")
    }

    /// The environment variables that override its endpoints for every process and tool:
    /// `ZSAGA_<NAME>_ROUTER` and `ZSAGA_<NAME>_PUB` (the name upper-cased, `-` as `_`).
    public var routerVariable: String { "ZSAGA_\(variableName)_ROUTER" }
    public var pubVariable: String { "ZSAGA_\(variableName)_PUB" }
    private var variableName: String { name.uppercased().replacingOccurrences(of: "-", with: "_") }

    /// Its endpoints as a client sees them: each from its environment variable, else the topology's.
    public var resolved: (router: String, pub: String) {
        (environment(routerVariable) ?? router, environment(pubVariable) ?? pub)
    }

    /// The port of a `tcp://host:port` endpoint (`nil` for ipc and the like).
    public static func port(of endpoint: String) -> Int? {
        guard endpoint.hasPrefix("tcp://"), let colon = endpoint.lastIndex(of: ":") else { return nil }
        return Int(endpoint[endpoint.index(after: colon)...])
    }
}

/// The processes of a cluster, defined once: every executable and tool reads it (the
/// orchestrator's services, the monitor's sources, sagactl's process names, CURVE key names,
/// the supervised test clusters, `cluster.sh` and `hosts.py` through `sagactl topology`).
///
/// The built-in topology is the orchestrator, the four services of the order saga and the
/// monitor. A topology file (`--topology FILE`, env `ZSAGA_TOPOLOGY`; docs/TOPOLOGY.md) adds
/// processes or replaces them.
public struct Topology: Sendable, Equatable {
    /// In order: the orchestrator, the services, the monitor.
    public private(set) var processes: [ProcessSpec]

    /// The environment variable naming a topology file.
    public static let variable = "ZSAGA_TOPOLOGY"

    /// The orchestrator, the order saga's four services and the monitor, on ports 7001…7502.
    public static let builtIn = try! Topology(processes: [
        ProcessSpec(name: "saga", role: .orchestrator, executable: "saga-orchestrator", ports: (7001, 7002)),
        ProcessSpec(name: "order", role: .service, executable: "order-service", ports: (7101, 7102)),
        ProcessSpec(name: "inventory", role: .service, executable: "inventory-service", ports: (7201, 7202)),
        ProcessSpec(name: "payment", role: .service, executable: "payment-service", ports: (7301, 7302)),
        ProcessSpec(name: "shipping", role: .service, executable: "shipping-service", ports: (7401, 7402)),
        ProcessSpec(name: "monitor", role: .monitor, executable: "saga-monitor", ports: (7501, 7502)),
    ])

    /// A topology of `processes`: names unique and well formed, one orchestrator, at most one
    /// monitor, no endpoint used twice.
    public init(processes: [ProcessSpec]) throws(TopologyError) {
        let order: [ProcessRole] = [.orchestrator, .service, .monitor]
        self.processes = processes.enumerated().sorted {
            (order.firstIndex(of: $0.element.role)!, $0.offset) < (order.firstIndex(of: $1.element.role)!, $1.offset)
        }.map(\.element)
        var names: Set<String> = [], endpoints: [String: String] = [:]
        for process in processes {
            guard Self.isName(process.name) else {
                throw .invalid(field: "processes.\(process.name)", "a name is 1-32 lowercase letters, digits and -, starting with a letter")
            }
            guard names.insert(process.name).inserted else { throw .invalid(field: "processes.\(process.name)", "named twice") }
            guard process.name != Self.clientKeyName else {
                throw .invalid(field: "processes.\(process.name)", "`\(Self.clientKeyName)` is the name of the clients' key")
            }
            for endpoint in [process.router, process.pub] {
                if let other = endpoints.updateValue(process.name, forKey: endpoint) {
                    throw .invalid(field: "processes.\(process.name)", "\(endpoint) is \(other)'s too")
                }
            }
        }
        let orchestrators = processes.filter { $0.role == .orchestrator }.count
        guard orchestrators == 1 else { throw .invalid(field: "processes", "a cluster has one orchestrator, this one \(orchestrators)") }
        guard processes.filter({ $0.role == .monitor }).count <= 1 else { throw .invalid(field: "processes", "a cluster has one monitor at most") }
    }

    package static func isName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...32).contains(bytes.count), let first = bytes.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return bytes.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
    }

    /// The process named `name`.
    public func process(_ name: String) -> ProcessSpec? { processes.first { $0.name == name } }
    /// Every process's name, in order.
    public var names: [String] { processes.map(\.name) }
    /// The participants.
    public var services: [ProcessSpec] { processes.filter { $0.role == .service } }
    public var orchestrator: ProcessSpec { processes.first { $0.role == .orchestrator }! }
    public var monitor: ProcessSpec? { processes.first { $0.role == .monitor } }
    /// What the monitor follows, and what a log check reads: the orchestrator and the services.
    public var sources: [ProcessSpec] { processes.filter { $0.role != .monitor } }

    /// The names a CURVE-secured cluster has keys for: every process, and the clients.
    public var keyNames: [String] { names + [Self.clientKeyName] }

    /// The name of the clients' key pair (sagactl, the dashboard's gateway, tests): no process
    /// may take it.
    public static let clientKeyName = "client"

    /// `processes` added to this topology; one with a name it has already replaces it.
    public func adding(_ processes: [ProcessSpec]) throws(TopologyError) -> Topology {
        var merged = self.processes
        for process in processes {
            if let index = merged.firstIndex(where: { $0.name == process.name }) { merged[index] = process } else { merged.append(process) }
        }
        return try Topology(processes: merged)
    }

    /// The topology `file` names (else the one `ZSAGA_TOPOLOGY` names, else the built-in one).
    public static func load(file: String? = nil) throws(TopologyError) -> Topology {
        guard let path = file ?? environment(variable) else { return builtIn }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        return try parse(Array(data), source: path)
    }
}

/// Why a topology was refused: where, and what is wrong (with the JSON's own error kept).
public enum TopologyError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file could not be read.
    case unreadable(path: String)
    /// The file is not JSON.
    case notJSON(source: String, JSONParseError)
    /// A field is wrong.
    case invalid(field: String, String)

    public var description: String {
        switch self {
        case .unreadable(let path): return "cannot read the topology file \(path)"
        case .notJSON(let source, let error): return "the topology \(source) is not JSON: \(error)"
        case .invalid(let field, let message): return "topology \(field): \(message)"
        }
    }
}
