import Foundation
import SagaWire
import ServiceKit
import ZeroMQ

/// Reads a process's events in order from a sequence number: first by replay from its log,
/// then (with `follow`) live from its PUB, with a ``StreamCursor`` filling any gap (a dropped
/// message, a late join) by replay, so every event is delivered once, in order.
public final class EventFollower {
    private let router: String
    private let context: ZMQContext
    private let subscriber: ZMQSocket
    private let client: ClusterClient
    private var cursor: StreamCursor

    public init(router: String, pub: String, from: Int64, client: ClusterClient, source: String = "") throws {
        self.router = router
        self.client = client
        cursor = StreamCursor(source: source, after: max(from, 1) - 1)
        context = try ZMQContext()
        subscriber = try ZMQSocket(context, .sub)
        try subscriber.subscribe("")
        try subscriber.setReceiveHighWaterMark(0)
        // Subscribe before replaying, so nothing published in between is missed.
        try subscriber.connect(pub)
    }

    /// Delivers events to `deliver` until it returns `false`, or (without `follow`) the log's end.
    public func run(follow: Bool, deliver: (Event) throws -> Bool) throws {
        // Catch up with the log first.
        guard try replay(from: cursor.next, deliver) else { return }
        guard follow else { return }
        var poller = ZMQPoller()
        poller.add(subscriber)
        while true {
            try poller.poll(timeout: 500)
            let now = monotonicMs()
            while let frames = try subscriber.tryReceive() {
                guard frames.count == 2, let message = try? WireCodec.decode(frames[1]) else { continue }
                let step: StreamCursor.Step
                switch message {
                case .event(let event): step = cursor.live(event, now: now)
                case .heartbeat(let heartbeat): step = cursor.heartbeat(head: heartbeat.head, now: now)
                default: continue
                }
                guard try apply(step, deliver) else { return }
            }
            guard try apply(cursor.tick(now: now), deliver) else { return }
        }
    }

    private func apply(_ step: StreamCursor.Step, _ deliver: (Event) throws -> Bool) throws -> Bool {
        for event in step.deliver { guard try deliver(event) else { return false } }
        if let from = step.replayFrom { return try replay(from: from, deliver) }
        return true
    }

    /// Replays from `from` to the log's head through the cursor; `false` when `deliver` asked to stop.
    private func replay(from: Int64, _ deliver: (Event) throws -> Bool) throws -> Bool {
        var from = from
        while true {
            let page: JSON
            do {
                page = try client.query(router, "sys.Replay", ["from": .int(from), "limit": 1000])
            } catch {
                cursor.replayFailed()
                throw error
            }
            var events: [Event] = []
            for json in page["events"]?.arrayValue ?? [] {
                if case .event(let event) = try WireCodec.decode(envelope: json) { events.append(event) }
            }
            let step = cursor.replayed(events, head: page["head"]?.intValue ?? 0, now: monotonicMs())
            for event in step.deliver { guard try deliver(event) else { return false } }
            guard let next = step.replayFrom, !events.isEmpty else { return true }
            from = next
        }
    }
}
