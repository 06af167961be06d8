import Logging
import ZeroMQ

/// What a process's configuration says about the sockets it binds. The service, orchestrator
/// and monitor configurations all conform.
public protocol BoundSocketsConfiguration {
    /// Where the ROUTER binds (one endpoint, or a comma-separated list).
    var routerEndpoint: String { get }
    /// Where the PUB binds.
    var pubEndpoint: String { get }
    /// CURVE keys; `nil` runs in plaintext.
    var keys: CurveKeys? { get }
    /// Requests per second each client may send (0: unlimited).
    var clientRate: Double { get }
    /// How often the log's head is published as a heartbeat, in milliseconds.
    var heartbeatMs: Int { get }
}

/// The server side every ZSaga process binds: its ROUTER (commands, queries, replay, ping), its
/// PUB (events and heartbeats) and, when the process has CURVE keys, the ZAP handler that admits
/// clients to both and watches them for refused handshakes.
///
/// Like every socket owner, it belongs to its process's reactor thread.
public final class BoundSockets {
    /// Commands and queries.
    public let router: RouterServer
    /// Events, in log order, and heartbeats.
    public let publisher: EventPublisher
    /// The authentication handler; `nil` when the process runs without CURVE.
    public let zap: ZAPHandler?
    private let heartbeatMs: Int64
    private var nextHeartbeat: Int64 = 0

    /// Binds both sockets (the ZAP handler first: a CURVE server consults it from its first
    /// connection) and reports their traffic to `metrics`.
    ///
    /// - Parameters:
    ///   - source: the process's name, the first part of its events' topics.
    ///   - clientRate: requests per second each client may send (0: unlimited).
    ///   - heartbeatMs: how often ``heartbeatIfDue(head:now:)`` publishes the log's head.
    public init(context: ZMQContext, routerEndpoint: String, pubEndpoint: String, source: String,
                keys: CurveKeys?, clientRate: Double, heartbeatMs: Int, metrics: HostMetrics, logger: Logger) throws {
        self.heartbeatMs = Int64(heartbeatMs)
        zap = try keys.map { try ZAPHandler(context: context, keys: $0, logger: logger) }
        router = try RouterServer(context: context, endpoint: routerEndpoint, keys: keys, clientRate: clientRate, logger: logger)
        publisher = try EventPublisher(context: context, endpoint: pubEndpoint, source: source, keys: keys, logger: logger)
        try zap?.watch(router.socket, label: "router")
        try zap?.watch(publisher.socket, label: "pub")
        router.metrics = metrics
        publisher.metrics = metrics
    }

    /// Binds the sockets `config` describes, for the process named `source`.
    public convenience init(context: ZMQContext, config: some BoundSocketsConfiguration, source: String, metrics: HostMetrics,
                            logger: Logger) throws {
        try self.init(context: context, routerEndpoint: config.routerEndpoint, pubEndpoint: config.pubEndpoint, source: source,
                      keys: config.keys, clientRate: config.clientRate, heartbeatMs: config.heartbeatMs, metrics: metrics,
                      logger: logger)
    }

    /// Publishes a heartbeat with the log's `head` when one is due (at once the first time), so
    /// subscribers tell silence from loss; returns when the next one is due (monotonic ms).
    public func heartbeatIfDue(head: Int64, now: Int64) -> Int64 {
        if now >= nextHeartbeat {
            publisher.heartbeat(head: head, now: wallClockMs())
            nextHeartbeat = now + heartbeatMs
        }
        return nextHeartbeat
    }

    /// Adds the authentication handler's sockets to the reactor's poller (the ROUTER is added by
    /// the host, which knows its index).
    public func pollAuthentication(with poller: inout ZMQPoller) {
        for socket in zap?.sockets ?? [] { poller.add(socket) }
    }

    /// Answers pending authentication requests and drains handshake reports; cheap when idle.
    public func serveAuthentication() {
        zap?.serve()
    }

    /// Closes every socket; the reactor calls it once, when it stops.
    public func close() {
        router.socket.close()
        publisher.socket.close()
        zap?.close()
    }
}
