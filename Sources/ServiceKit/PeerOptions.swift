import ArgumentParser

/// A service's endpoints given on the command line: `NAME=ROUTER,PUB`.
package struct PeerEndpoints: ExpressibleByArgument, Sendable, Equatable {
    package var name: String
    package var router: String
    package var pub: String

    package init(name: String, router: String, pub: String) {
        self.name = name
        self.router = router
        self.pub = pub
    }

    package init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1)
        let endpoints = parts.count == 2 ? parts[1].split(separator: ",") : []
        guard parts.count == 2, endpoints.count == 2, Topology.isName(String(parts[0])) else { return nil }
        self.init(name: String(parts[0]), router: String(endpoints[0]), pub: String(endpoints[1]))
    }

    /// A list of them separated by `;` (the form of `ZSAGA_SERVICES`).
    static func list(_ text: String) -> [PeerEndpoints]? {
        let items = text.split(separator: ";").map { PeerEndpoints(argument: $0.trimmingCharacters(in: .whitespaces)) }
        return items.contains { $0 == nil } ? nil : items.compactMap { $0 }
    }
}

/// The options of a process that reaches the cluster's other processes (the orchestrator, the
/// monitor): where each one listens.
///
/// An endpoint comes from, first to last: `--service NAME=ROUTER,PUB`; `ZSAGA_SERVICES`;
/// the process's own variables (`ZSAGA_<NAME>_ROUTER`, `ZSAGA_<NAME>_PUB`); the topology file;
/// the built-in loopback ports. A name the topology lacks adds a service.
package struct PeerOptions: ParsableArguments {
    @Option(name: .customLong("service"),
            help: "A service's endpoints, NAME=ROUTER,PUB (repeatable): one of the topology's, or one more. Env: ZSAGA_SERVICES (NAME=ROUTER,PUB;…).")
    package var services: [PeerEndpoints] = []

    package init() {}

    /// `topology` with every endpoint resolved as above.
    package func resolve(_ topology: Topology) throws -> Topology {
        var given = services
        if given.isEmpty, let text = environment("ZSAGA_SERVICES") {
            guard let parsed = PeerEndpoints.list(text) else {
                throw ValidationError("ZSAGA_SERVICES must be NAME=ROUTER,PUB;NAME=ROUTER,PUB…, got \(text)")
            }
            given = parsed
        }
        do {
            return try topology.resolvingEnvironment().adding(given.map { peer in
                var spec = topology.process(peer.name) ?? ProcessSpec(name: peer.name, role: .service, executable: "\(peer.name)-service",
                                                                       router: peer.router, pub: peer.pub)
                spec.router = peer.router
                spec.pub = peer.pub
                return spec
            })
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

extension Topology {
    /// Every process with its endpoints from its environment variables where they are set
    /// (``ProcessSpec/resolved``).
    public func resolvingEnvironment() throws(TopologyError) -> Topology {
        try Topology(processes: processes.map { process in
            var resolved = process
            (resolved.router, resolved.pub) = process.resolved
            return resolved
        })
    }
}
