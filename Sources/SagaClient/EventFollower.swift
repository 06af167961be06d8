import Foundation
import SagaWire
import ZeroMQ

/// Reads a process's events in order from a sequence number: first by replay from its log,
/// then (with `follow`) live from its PUB, filling any gap (a dropped message, a late join)
/// by replay, so every event is delivered once, in order.
public final class EventFollower {
    private let router: String
    private let context: ZMQContext
    private let subscriber: ZMQSocket
    private let client: ClusterClient
    private var next: Int64

    public init(router: String, pub: String, from: Int64, client: ClusterClient) throws {
        self.router = router
        self.client = client
        next = max(from, 1)
        context = try ZMQContext()
        subscriber = try ZMQSocket(context, .sub)
        try subscriber.subscribe("")
        try subscriber.setReceiveHighWaterMark(0)
        // Subscribe before replaying, so nothing published in between is missed.
        try subscriber.connect(pub)
    }

    /// Delivers events to `deliver` until it returns `false`, or (without `follow`) the log's end.
    public func run(follow: Bool, deliver: (Event) throws -> Bool) throws {
        guard try replay(deliver) else { return }
        guard follow else { return }
        var poller = ZMQPoller()
        poller.add(subscriber)
        while true {
            try poller.poll(timeout: 1000)
            while let frames = try subscriber.tryReceive() {
                guard frames.count == 2, let message = try? WireCodec.decode(frames[1]) else { continue }
                switch message {
                case .event(let event):
                    if event.seq < next { continue }
                    if event.seq > next { guard try replay(deliver) else { return }; continue }
                    next += 1
                    guard try deliver(event) else { return }
                case .heartbeat(let heartbeat) where heartbeat.head >= next:
                    guard try replay(deliver) else { return }
                default:
                    continue
                }
            }
        }
    }

    /// Replays from `next` to the head; returns `false` when `deliver` asked to stop.
    private func replay(_ deliver: (Event) throws -> Bool) throws -> Bool {
        while true {
            let page = try client.query(router, "sys.Replay", ["from": .int(next), "limit": 1000])
            let events = page["events"]?.arrayValue ?? []
            if events.isEmpty { return true }
            for json in events {
                guard case .event(let event) = try WireCodec.decode(envelope: json), event.seq == next else { continue }
                next += 1
                guard try deliver(event) else { return false }
            }
        }
    }
}
