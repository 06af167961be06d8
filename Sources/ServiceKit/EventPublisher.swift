import Logging
import SagaWire
import ZeroMQ

/// The bound PUB of a process: publishes committed events in log order, and heartbeats
/// carrying the head sequence.
///
/// It is an XPUB socket, so it hears which topic prefixes subscribers want and does not even
/// encode an event nobody subscribed to. (What it skips, a late subscriber gets by replay.)
public final class EventPublisher {
    /// The socket.
    public let socket: ZMQSocket
    /// The endpoint actually bound.
    public let endpoint: String
    /// The service name in topics and heartbeats.
    public let source: String
    /// Events that PUB could not queue (high-water mark); subscribers recover them by replay.
    public private(set) var dropped = 0
    /// Events published.
    public private(set) var published = 0
    private let logger: Logger
    /// Where publications and drops are counted, when set.
    public var metrics: HostMetrics?

    public init(context: ZMQContext, endpoint: String, source: String, keys: CurveKeys? = nil, logger: Logger) throws {
        socket = try ZMQSocket(context, .xpub, linger: 500)
        if let keys { try keys.secureServer(socket) }
        // ZSAGA_PUB_HWM exists for loss tests: a tiny mark makes PUB drop for real.
        try socket.setSendHighWaterMark(environment("ZSAGA_PUB_HWM").flatMap { Int32($0) } ?? 200_000)
        self.endpoint = try bindAll(socket, endpoint)
        self.source = source
        self.logger = logger
    }

    /// Topic prefixes at least one subscriber wants.
    public private(set) var subscriptions: Set<[UInt8]> = []

    /// Reads pending (un)subscriptions; call when the socket is readable.
    public func drainSubscriptions() {
        while let frames = try? socket.tryReceive() {
            guard let frame = frames.first, let flag = frame.first else { continue }
            let prefix = Array(frame.dropFirst())
            if flag == 1 { subscriptions.insert(prefix) } else if flag == 0 { subscriptions.remove(prefix) }
        }
    }

    /// Whether any subscriber wants `topic`.
    public func isWanted(_ topic: String) -> Bool {
        if subscriptions.isEmpty { return false }
        let bytes = Array(topic.utf8)
        return subscriptions.contains { bytes.starts(with: $0) }
    }

    /// Publishes events; call only after they are committed.
    public func publish(_ events: [Event]) {
        drainSubscriptions()
        guard !subscriptions.isEmpty else { return }
        for event in events where isWanted(event.topic) { send(Framing.publish(event)) }
    }

    /// Publishes a heartbeat with the log's head sequence.
    public func heartbeat(head: Int64, now: Int64) {
        drainSubscriptions()
        let heartbeat = Heartbeat(source: source, head: head, timeMs: now)
        guard isWanted(heartbeat.topic) else { return }
        send(Framing.publish(heartbeat))
    }

    private func send(_ frames: [[UInt8]]) {
        do {
            // PUB never blocks; at the high-water mark libzmq drops (and so do we, counted).
            if try socket.trySend(frames) {
                published += 1
                metrics?.published.increment()
            } else {
                dropped += 1
                metrics?.publishDropped.increment()
            }
        } catch {
            dropped += 1
            metrics?.publishDropped.increment()
            logger.warning("publish failed", metadata: ["error": "\(error)"])
        }
    }
}
