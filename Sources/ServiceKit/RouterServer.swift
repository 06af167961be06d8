import Foundation
import Logging
import SagaWire
import ZeroMQ

/// The bound ROUTER of a process: decodes requests, answers bad ones itself, and sends replies
/// without ever blocking the reactor.
public final class RouterServer {
    /// The socket, for the poller.
    public let socket: ZMQSocket
    /// The endpoint actually bound.
    public let endpoint: String
    private let logger: Logger
    /// Replies that could not be delivered (peer gone or its queue full).
    public private(set) var droppedReplies = 0
    /// Requests refused as malformed or of the wrong kind.
    public private(set) var refusedRequests = 0
    /// Where drops and refusals are counted, when set.
    public var metrics: HostMetrics?
    private var limiter: RateLimiter

    /// Binds a ROUTER at `endpoint` (or at each of a comma-separated list, e.g. a TCP port for
    /// remote clients and an `ipc://` path for processes on the same host) with a message size
    /// limit.
    public init(context: ZMQContext, endpoint: String, maxMessageBytes: Int = WireCodec.defaultMaxBytes,
                keys: CurveKeys? = nil, clientRate: Double = 0, logger: Logger) throws {
        socket = try ZMQSocket(context, .router, linger: 200)
        if let keys { try keys.secureServer(socket) }
        try socket.setRouterMandatory(true)
        // Frames beyond the envelope limit plus room for routing frames are dropped by libzmq.
        try socket.setMaxMessageSize(Int64(maxMessageBytes) + 4096)
        // Bounded queues per peer: a flood waits in the client's socket, not in our memory.
        try socket.setReceiveHighWaterMark(10_000)
        try socket.setSendHighWaterMark(10_000)
        limiter = RateLimiter(ratePerSecond: clientRate)
        try socket.setHeartbeat(interval: 2000, timeout: 6000, ttl: 6000)
        self.endpoint = try bindAll(socket, endpoint)
        self.logger = logger
    }

    /// Reads the next request if one is waiting. Invalid input is answered here with an error
    /// reply and skipped, so the caller only sees valid commands and queries.
    public func next() throws -> IncomingRequest? {
        while let frames = try socket.tryReceive() {
            let request: Framing.RoutedRequest
            switch Framing.splitRouterFrames(frames) {
            case .failure(let failure):
                refuse(route: failure.route, ErrorReply(inReplyTo: nil, failure.error))
                continue
            case .success(let ok):
                request = ok
            }
            if !limiter.admit(request.route[0], now: monotonicMs()) {
                refuse(route: request.route, ErrorReply(inReplyTo: WireCodec.bestEffortID(request.body), code: .overloaded,
                                                        message: "too many requests from this client; slow down"))
                continue
            }
            do {
                switch try WireCodec.decode(request.body) {
                case .command(let command): return .command(command, route: request.route)
                case .query(let query): return .query(query, route: request.route)
                case let other:
                    refuse(route: request.route, ErrorReply(
                        inReplyTo: nil, code: .unknownType,
                        message: "a \(other.kind) cannot be sent to a ROUTER; send a command or a query", field: "kind"))
                }
            } catch {
                refuse(route: request.route, ErrorReply(inReplyTo: WireCodec.bestEffortID(request.body), error))
            }
        }
        return nil
    }

    private func refuse(route: [[UInt8]], _ error: ErrorReply) {
        refusedRequests += 1
        metrics?.refused.increment()
        logger.debug("refused request", metadata: ["code": "\(error.code.rawValue)", "reason": "\(error.message)"])
        guard !route.isEmpty else { return }
        send(route: route, WireCodec.encode(.error(error)))
    }

    /// Sends a reply without blocking; a reply to a vanished or stalled peer is dropped and counted.
    public func send(route: [[UInt8]], _ body: [UInt8]) {
        do {
            if try !socket.trySend(route + [body]) {
                droppedReplies += 1
                metrics?.repliesDropped.increment()
                logger.debug("dropped reply: peer queue full")
            }
        } catch let error as ZMQError where error.kind == .hostUnreachable {
            droppedReplies += 1
            metrics?.repliesDropped.increment()
            logger.debug("dropped reply: peer gone")
        } catch {
            droppedReplies += 1
            logger.warning("reply failed", metadata: ["error": "\(error)"])
        }
    }

    /// Sends an encoded message.
    public func send(route: [[UInt8]], _ message: WireMessage) {
        send(route: route, WireCodec.encode(message))
    }
}

/// Binds `socket` to every endpoint of a comma-separated list; returns the endpoints bound
/// (wildcards resolved), comma-separated.
func bindAll(_ socket: ZMQSocket, _ endpoints: String) throws -> String {
    var bound: [String] = []
    for endpoint in endpoints.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !endpoint.isEmpty {
        if endpoint.hasPrefix("ipc://") {
            // libzmq replaces a stale socket file itself, but not a missing directory.
            let directory = (String(endpoint.dropFirst(6)) as NSString).deletingLastPathComponent
            if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        }
        bound.append(try socket.bind(endpoint))
    }
    return bound.joined(separator: ",")
}

/// A token bucket per client (routing id): `ratePerSecond` sustained, twice that in a burst.
/// It keeps at most 10,000 clients, forgetting the idle ones, so a flood of identities cannot
/// grow it without bound.
struct RateLimiter {
    let ratePerSecond: Double
    private var buckets: [[UInt8]: (tokens: Double, at: Int64)] = [:]

    init(ratePerSecond: Double) {
        self.ratePerSecond = ratePerSecond
    }

    mutating func admit(_ client: [UInt8], now: Int64) -> Bool {
        guard ratePerSecond > 0 else { return true }
        let burst = ratePerSecond * 2
        var bucket = buckets[client] ?? (burst, now)
        bucket.tokens = min(burst, bucket.tokens + Double(now - bucket.at) * ratePerSecond / 1000)
        bucket.at = now
        let admitted = bucket.tokens >= 1
        if admitted { bucket.tokens -= 1 }
        if buckets.count >= 10_000 && buckets[client] == nil {
            buckets = buckets.filter { now - $0.value.at < 10_000 }
            if buckets.count >= 10_000 { buckets.removeAll(keepingCapacity: true) }
        }
        buckets[client] = bucket
        return admitted
    }
}
