import ClusterTopology

/// Where the processes of a cluster listen, as a client sees them.
public struct ClusterEndpoints: Sendable, Equatable {
    /// Each process's ROUTER by name: `saga` (the orchestrator), `order`, `inventory`, `payment`,
    /// `shipping`, `monitor`, and any the topology adds.
    public var routers: [String: String]
    /// Each process's PUB by name.
    public var pubs: [String: String]
    /// The processes, in the topology's order (the orchestrator, the services, the monitor).
    public var names: [String]

    public init(routers: [String: String], pubs: [String: String], names: [String]? = nil) {
        self.routers = routers
        self.pubs = pubs
        self.names = names ?? routers.keys.sorted()
    }

    /// The endpoints of `topology`'s processes, each from its environment variables
    /// (`ZSAGA_<NAME>_ROUTER`, `ZSAGA_<NAME>_PUB`) where set; `orchestrator` (else
    /// `ZSAGA_ORCHESTRATOR`) overrides the orchestrator's ROUTER.
    public static func fromEnvironment(orchestrator: String? = nil, topology: Topology = .builtIn) -> ClusterEndpoints {
        var routers: [String: String] = [:]
        var pubs: [String: String] = [:]
        for process in topology.processes { (routers[process.name], pubs[process.name]) = process.resolved }
        if let orchestrator = orchestrator ?? environment("ZSAGA_ORCHESTRATOR") { routers[topology.orchestrator.name] = orchestrator }
        return ClusterEndpoints(routers: routers, pubs: pubs, names: topology.names)
    }

    /// The process behind each endpoint (for choosing CURVE server keys).
    public var serverNames: [String: String] {
        var names: [String: String] = [:]
        for (name, endpoint) in routers { names[endpoint] = name }
        for (name, endpoint) in pubs { names[endpoint] = name }
        return names
    }

    /// The monitor's ROUTER.
    public var monitor: String { routers["monitor"] ?? Topology.builtIn.monitor!.router }

    /// The orchestrator's ROUTER.
    public var orchestrator: String { routers["saga"]! }
}
