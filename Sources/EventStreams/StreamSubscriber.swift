import Logging
import ClusterKeys
import SagaWire
import ZeroMQ

/// Consumes the event streams of several publishers losslessly, for a reactor.
///
/// It subscribes first (one SUB socket connected to every publisher), then replays from each
/// source's last known position through a DEALER to the source's ROUTER (`sys.Replay`), and
/// runs a ``StreamCursor`` per source: duplicates dropped, gaps found from sequence numbers and
/// heartbeats and repaired by replay. ``drain(now:)`` hands out each source's events once, in
/// order. The consumer saves ``positions`` durably with the effects of what it handled, and
/// passes them back after a restart.
///
/// Like every socket owner it lives on its reactor's thread.
public final class StreamSubscriber {
    /// A publisher: its name (the `source` of its events), ROUTER and PUB.
    public struct Source: Sendable {
        public var name: String
        public var router: String
        public var pub: String

        public init(name: String, router: String, pub: String) {
            self.name = name
            self.router = router
            self.pub = pub
        }
    }

    private let subscriber: ZMQSocket
    private var dealers: [String: ZMQSocket] = [:]
    private var cursors: [String: StreamCursor] = [:]
    private var requests = 0
    private let logger: Logger

    /// - Parameter positions: the last sequence number handled per source; a source missing
    ///   here starts with the publisher's next event (no history).
    public init(context: ZMQContext, sources: [Source], positions: [String: Int64], logger: Logger,
                receiveHighWaterMark: Int32 = 200_000, keys: CurveKeys? = nil) throws {
        self.logger = logger
        subscriber = try ZMQSocket(context, .sub)
        try subscriber.setReceiveHighWaterMark(receiveHighWaterMark)
        for source in sources {
            try subscriber.subscribe("\(source.name).")
            // The server key applies to the connections made after it is set: one per publisher.
            if let keys { try keys.secureClient(subscriber, server: source.name) }
            try subscriber.connect(source.pub)
            let dealer = try ZMQSocket(context, .dealer)
            if let keys { try keys.secureClient(dealer, server: source.name) }
            try dealer.setSendHighWaterMark(1000)
            try dealer.setReceiveHighWaterMark(1000)
            try dealer.connect(source.router)
            dealers[source.name] = dealer
            cursors[source.name] = StreamCursor(source: source.name, after: positions[source.name])
        }
    }

    /// The sockets to register with the reactor's poller.
    public var sockets: [ZMQSocket] { [subscriber] + dealers.keys.sorted().map { dealers[$0]! } }

    /// The last sequence number delivered per source (sources that have a position yet).
    public var positions: [String: Int64] {
        cursors.filter { $0.value.anchored }.mapValues(\.position)
    }

    /// Per source at `now` (the clock the subscriber is driven with): position, known head, lag,
    /// gaps found, events replayed, duplicates dropped, and the age of the last heartbeat in ms
    /// (`null` before the first).
    public func status(now: Int64) -> JSON {
        .object(cursors.mapValues { cursor in
            ["position": .int(cursor.position), "head": .int(cursor.head), "lag": .int(max(0, cursor.head - cursor.position)),
             "gaps": .int(Int64(cursor.gaps)), "replayed": .int(Int64(cursor.replayed)),
             "duplicates": .int(Int64(cursor.duplicates)), "skipped_retired": .int(Int64(cursor.skipped)),
             "caught_up": .bool(cursor.isCaughtUp),
             "heartbeat_age_ms": cursor.lastHeartbeat > 0 ? .int(now - cursor.lastHeartbeat) : .null]
        })
    }

    /// Whether every source is caught up with what its publisher is known to have.
    public var isCaughtUp: Bool { cursors.values.allSatisfy(\.isCaughtUp) }

    /// Starts catching up every source that has a position now, instead of at its next heartbeat.
    public func catchUp(now: Int64) {
        var delivered: [Event] = []
        for source in cursors.keys.sorted() {
            let step = cursors[source]!.catchUp(now: now)
            follow(step, source: source, into: &delivered)
        }
    }

    /// Reads everything ready, live and replayed, and returns the events now deliverable:
    /// each source's in sequence order, each event once.
    public func drain(now: Int64) throws -> [Event] {
        var delivered: [Event] = []
        while let frames = try subscriber.tryReceive() {
            guard frames.count == 2, let message = try? WireCodec.decode(frames[1]) else { continue }
            switch message {
            case .event(let event):
                guard var cursor = cursors[event.metadata.service] else { continue }
                let step = cursor.live(event, now: now)
                cursors[event.metadata.service] = cursor
                follow(step, source: event.metadata.service, into: &delivered)
            case .heartbeat(let heartbeat):
                guard var cursor = cursors[heartbeat.source] else { continue }
                let step = cursor.heartbeat(head: heartbeat.head, now: now)
                cursors[heartbeat.source] = cursor
                follow(step, source: heartbeat.source, into: &delivered)
            default:
                continue
            }
        }
        for (source, dealer) in dealers {
            while let frames = try dealer.tryReceive() {
                guard let body = frames.last, let message = try? WireCodec.decode(body), var cursor = cursors[source] else { continue }
                switch message {
                case .result(let result):
                    var events: [Event] = []
                    for json in result.body["events"]?.arrayValue ?? [] {
                        if case .event(let event)? = try? WireCodec.decode(envelope: json) { events.append(event) }
                    }
                    let retired = result.body["retired"]?.sequenceRanges ?? []
                    let step = cursor.replayed(events, head: result.body["head"]?.intValue ?? 0, retired: retired, now: now)
                    cursors[source] = cursor
                    follow(step, source: source, into: &delivered)
                case .error(let error):
                    logger.warning("replay refused", metadata: ["source": "\(source)", "error": "\(error.message)"])
                    cursor.replayFailed()
                    cursors[source] = cursor
                default:
                    continue
                }
            }
        }
        for source in cursors.keys.sorted() {
            let step = cursors[source]!.tick(now: now)
            follow(step, source: source, into: &delivered)
        }
        return delivered
    }

    private func follow(_ step: StreamCursor.Step, source: String, into delivered: inout [Event]) {
        delivered += step.deliver
        guard let from = step.replayFrom, let dealer = dealers[source] else { return }
        requests += 1
        let query = Query(id: "replay-\(requests)", type: "sys.Replay", body: ["from": .int(from), "limit": 1000])
        do {
            if try !dealer.trySend([WireCodec.encode(.query(query))]) { cursors[source]?.replayFailed() }
        } catch {
            cursors[source]?.replayFailed()
        }
    }

    /// Closes the sockets.
    public func close() {
        subscriber.close()
        for dealer in dealers.values { dealer.close() }
    }
}
