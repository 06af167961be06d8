/// The loopback endpoints every ZSaga process uses unless told otherwise, so a local cluster
/// needs no configuration at all.
public enum DefaultEndpoints {
    /// The ports of each process: its ROUTER and its PUB.
    public static let ports: [String: (router: Int, pub: Int)] = [
        "saga": (7001, 7002),
        "order": (7101, 7102),
        "inventory": (7201, 7202),
        "payment": (7301, 7302),
        "shipping": (7401, 7402),
        "monitor": (7501, 7502),
    ]

    /// The four business services, in saga order.
    public static let services = ["order", "inventory", "payment", "shipping"]

    /// The default ROUTER endpoint of a process.
    public static func router(_ service: String) -> String {
        "tcp://127.0.0.1:\(ports[service]?.router ?? 0)"
    }

    /// The default PUB endpoint of a process.
    public static func pub(_ service: String) -> String {
        "tcp://127.0.0.1:\(ports[service]?.pub ?? 0)"
    }

    /// The environment variable that names a process's ROUTER endpoint for its clients, e.g.
    /// `ZSAGA_ORDER_ROUTER`.
    public static func routerVariable(_ service: String) -> String {
        "ZSAGA_\(service.uppercased())_ROUTER"
    }

    /// The environment variable that names a process's PUB endpoint for its subscribers, e.g.
    /// `ZSAGA_ORDER_PUB`.
    public static func pubVariable(_ service: String) -> String {
        "ZSAGA_\(service.uppercased())_PUB"
    }

    /// Where a peer process listens, each endpoint from its flag when given, else from its
    /// environment variable, else the loopback default.
    public static func resolve(_ service: String, router: String? = nil, pub: String? = nil) -> (router: String, pub: String) {
        (router ?? environment(routerVariable(service)) ?? Self.router(service),
         pub ?? environment(pubVariable(service)) ?? Self.pub(service))
    }
}
