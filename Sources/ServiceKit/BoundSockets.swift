import Logging
import ZeroMQ

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
