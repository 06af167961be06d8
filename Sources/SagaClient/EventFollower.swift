import Foundation
import SagaWire
import Logging
import ClusterKeys
import EventStreams
import ZeroMQ

/// Reads a process's events in order from a sequence number through a ``StreamSubscriber``:
/// replayed from its log, then (with `follow`) live from its PUB, every gap filled by replay,
/// each event once.
public final class EventFollower {
    private let context: ZMQContext
    private let streams: StreamSubscriber
    private let source: String
    private let client: ClusterClient
    private let router: String

    public init(router: String, pub: String, from: Int64, client: ClusterClient, source: String, keys: CurveKeys? = nil) throws {
        context = try ZMQContext()
        streams = try StreamSubscriber(context: context, sources: [StreamSubscriber.Source(name: source, router: router, pub: pub)],
                                       positions: [source: max(from, 1) - 1], logger: Logger(label: "zsaga.events"), keys: keys)
        self.source = source
        self.client = client
        self.router = router
    }

    /// Delivers events to `deliver` until it returns `false`, or (without `follow`) the end of
    /// the log as it was when the call began.
    public func run(follow: Bool, deliver: (Event) throws -> Bool) throws {
        let end = follow ? Int64.max : try client.query(router, "sys.Head")["head"]?.intValue ?? 0
        if let position = streams.positions[source], position >= end { return }
        var poller = ZMQPoller()
        for socket in streams.sockets { poller.add(socket) }
        streams.catchUp(now: Self.now())
        while true {
            try poller.poll(timeout: 200)
            for event in try streams.drain(now: Self.now()) {
                guard try deliver(event) else { return }
                if event.seq >= end { return }
            }
        }
    }

    /// Monotonic milliseconds: the clock the subscriber is driven with.
    private static func now() -> Int64 { Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000) }
}
