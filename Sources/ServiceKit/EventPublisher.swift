import Logging
import SagaWire
import ZeroMQ

/// The bound PUB of a process: publishes committed events in log order, and heartbeats
/// carrying the head sequence.
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

    public init(context: ZMQContext, endpoint: String, source: String, logger: Logger) throws {
        socket = try ZMQSocket(context, .pub, linger: 500)
        try socket.setSendHighWaterMark(200_000)
        self.endpoint = try socket.bind(endpoint)
        self.source = source
        self.logger = logger
    }

    /// Publishes events; call only after they are committed.
    public func publish(_ events: [Event]) {
        for event in events { send(Framing.publish(event)) }
    }

    /// Publishes a heartbeat with the log's head sequence.
    public func heartbeat(head: Int64, now: Int64) {
        send(Framing.publish(Heartbeat(source: source, head: head, timeMs: now)))
    }

    private func send(_ frames: [[UInt8]]) {
        do {
            // PUB never blocks; at the high-water mark libzmq drops (and so do we, counted).
            if try socket.trySend(frames) { published += 1 } else { dropped += 1 }
        } catch {
            dropped += 1
            logger.warning("publish failed", metadata: ["error": "\(error)"])
        }
    }
}
