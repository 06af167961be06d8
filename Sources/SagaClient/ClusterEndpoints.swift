import ServiceKit

/// Where the processes of a cluster listen, as a client sees them.
public struct ClusterEndpoints: Sendable, Equatable {
    /// Each process's ROUTER by name: `saga` (the orchestrator), `order`, `inventory`, `payment`, `shipping`.
    public var routers: [String: String]
    /// Each process's PUB by name.
    public var pubs: [String: String]

    public init(routers: [String: String], pubs: [String: String]) {
        self.routers = routers
        self.pubs = pubs
    }

    /// Endpoints from the environment (`ZSAGA_<NAME>_ROUTER`, `ZSAGA_<NAME>_PUB`) or the
    /// loopback defaults; `orchestrator` overrides the orchestrator's ROUTER.
    public static func fromEnvironment(orchestrator: String? = nil) -> ClusterEndpoints {
        var routers: [String: String] = [:]
        var pubs: [String: String] = [:]
        for name in ["saga"] + DefaultEndpoints.services + ["monitor"] {
            (routers[name], pubs[name]) = DefaultEndpoints.resolve(name)
        }
        if let orchestrator = orchestrator ?? environment("ZSAGA_ORCHESTRATOR") { routers["saga"] = orchestrator }
        return ClusterEndpoints(routers: routers, pubs: pubs)
    }

    /// The process behind each endpoint (for choosing CURVE server keys).
    public var serverNames: [String: String] {
        var names: [String: String] = [:]
        for (name, endpoint) in routers { names[endpoint] = name }
        for (name, endpoint) in pubs { names[endpoint] = name }
        return names
    }

    /// The monitor's ROUTER.
    public var monitor: String { routers["monitor"] ?? DefaultEndpoints.router("monitor") }

    /// The orchestrator's ROUTER.
    public var orchestrator: String { routers["saga"]! }
}
