import Foundation
import Logging
import SagaWire
@testable import ServiceKit
import ServiceModel
import ZeroMQ

/// A tally per key: `tally.Add` (key, n ≥ 0) appends `Added` to `tally-<key>`; `tally.Get`
/// reads a key's total. The smallest core that has streams, versions, a read side and refusals.
struct TallyCore: ServiceCore {
    static let serviceName = "tally"
    static let commandTypes = ["tally.Add"]
    static let queryTypes = ["tally.Get"]
    static let readModel = ReadModelSchema([ReadTable("tallies", columns: ["updated_ms"])])
    private var totals: [String: (total: Int64, version: Int64)?] = [:]

    func streams(for command: Command) throws(WireError) -> [String] { ["tally-\(try command.fields().identifier("key"))"] }

    func decide(_ command: Command, now: Int64) throws(WireError) -> Decision {
        let body = try command.fields()
        let key = try body.identifier("key")
        let n = try body.int("n", in: 0...1_000_000)
        let version = (totals["tally-\(key)"] ?? nil)?.version ?? 0
        return .ok(["key": .string(key)], [append("tally-\(key)", at: version, command.event("Added", ["key": .string(key), "n": .int(n)], at: now))])
    }

    func holds(_ stream: String) -> Bool { totals[stream] != nil }

    mutating func load(_ stream: String, events: [Event]) throws(DomainError) {
        totals[stream] = events.isEmpty ? .some(nil) : (events.reduce(0) { $0 + ($1.data["n"]?.intValue ?? 0) }, events.last!.version)
    }

    mutating func apply(_ event: Event) throws(DomainError) -> [ReadWrite] {
        let total = ((totals[event.stream] ?? nil)?.total ?? 0) + (event.data["n"]?.intValue ?? 0)
        totals[event.stream] = (total, event.version)
        return [.put(table: "tallies", key: event.stream, columns: ["updated_ms": .int(event.metadata.timeMs)], document: ["total": .int(total)]),
                .count("tally.added", by: 1)]
    }

    func query(_ query: Query, reader: some ReadModelReader, now: Int64) throws(WireError) -> JSON {
        let key = try Fields(query.body, path: "body").identifier("key")
        return try reader.document("tallies", key: "tally-\(key)") ?? ["total": 0]
    }

    func snapshot(stream: String) -> JSON? { nil }
    mutating func restore(stream: String, snapshot: JSON) throws(DomainError) {}
}

/// A ``ServiceHost`` in this process, on `inproc://` sockets of one context, with a DEALER to
/// talk to it: what NIOEmbedded is to a channel, for the host's batching. Requests can be
/// queued before the reactor runs, so that they all land in its first batch.
final class EmbeddedServiceHost: @unchecked Sendable {
    // @unchecked: the host and its sockets are made and used on the reactor thread only; the
    // test thread uses the dealer only, and the two meet through the mailbox and the join.
    let directory: URL
    let context: ZMQContext
    let router: String
    private(set) var dealer: ZMQSocket
    private let mailbox: Mailbox<ControlMessage>
    private let done = DispatchSemaphore(value: 0)
    private let failure = LockedValue<String?>(nil)
    private var config: HostConfiguration
    private var running = false

    init(faults: FaultSpec = FaultSpec()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("host-\(UUID().uuidString.prefix(8))")
        context = try ZMQContext()
        let name = directory.lastPathComponent
        router = "inproc://\(name)-router"
        config = HostConfiguration(routerEndpoint: router, pubEndpoint: "inproc://\(name)-pub", dataDirectory: directory.path,
                                   faults: faults, clientRate: 0)
        mailbox = try Mailbox()
        dealer = try ZMQSocket(context, .dealer)
        // inproc takes a connect before the bind: what is sent now waits for the host.
        try dealer.connect(router)
    }

    /// Starts the reactor (a fresh host on the same log each time).
    func start() {
        let config = self.config, context = self.context, mailbox = self.mailbox, done = self.done, failure = self.failure
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread {
            do {
                let host = try ServiceHost(core: TallyCore(), config: config, context: context, logger: Logger(label: "embedded"))
                ready.signal()
                try host.run(mailbox: mailbox)
            } catch {
                failure.withLock { $0 = "\(error)" }
                ready.signal()
            }
            done.signal()
        }
        thread.start()
        ready.wait()
        running = true
    }

    /// Queues a request on the dealer (inproc connects before the bind are queued too).
    func send(_ message: WireMessage) throws { try dealer.send([WireCodec.encode(message)]) }

    func command(_ id: String, key: String, n: Int64) throws {
        try send(.command(Command(id: id, type: "tally.Add", body: ["key": .string(key), "n": .int(n)])))
    }

    /// The next answer, within `ms`.
    func receive(within ms: Int = 3000) throws -> WireMessage? {
        var poller = ZMQPoller()
        poller.add(dealer)
        guard try poller.poll(timeout: ms) > 0, let frames = try dealer.tryReceive(), let body = frames.last else { return nil }
        return try WireCodec.decode(body)
    }

    /// A query's result body.
    func query(_ type: String, _ body: JSON = [:]) throws -> JSON? {
        let id = "q-\(UUID().uuidString.prefix(6))"
        try send(.query(Query(id: id, type: type, body: body)))
        while let answer = try receive() {
            if case .result(let result) = answer, result.inReplyTo == id { return result.body }
        }
        return nil
    }

    /// Stops the reactor and waits for it; returns its failure, if it failed. The dealer is
    /// made anew (an inproc connection does not reconnect to the next host's bind), connected
    /// before that bind, as at first.
    @discardableResult
    func stop() -> String? {
        mailbox.post(.stop)
        done.wait()
        running = false
        dealer.close()
        if let fresh = try? ZMQSocket(context, .dealer) {
            try? fresh.connect(router)
            dealer = fresh
        }
        return failure.withLock { $0 }
    }

    /// Stops a host a failed test left running (or its context could never end), and removes the log.
    func destroy() {
        if running { stop() }
        dealer.close()
        try? FileManager.default.removeItem(at: directory)
    }
}
