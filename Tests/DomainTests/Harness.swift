import Domain
import EventLog
import Foundation
import SagaWire
import ServiceModel

/// Drives a core the way the service host does: load the streams a command touches, decide,
/// apply the decided events with sequence numbers, and commit them with their read-side writes
/// to a real log (in a temp directory), which queries then read. Every event is also kept for
/// replay checks.
final class Harness<Core: ServiceCore> {
    var core: Core
    var log: [Event] = []
    let store: EventLog
    let directory: URL
    var now: Int64 = 1_000

    init(_ core: Core) {
        self.core = core
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("domain-\(UUID().uuidString.prefix(8))")
        store = try! EventLog(path: directory.appendingPathComponent("log.sqlite").path, service: Core.serviceName,
                              durability: .processOnly, readModel: Core.readModel)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func bootstrap() throws {
        try commit(core.bootstrap(now: now))
    }

    /// Decides and applies a command; throws the core's ``WireError`` for refused input.
    @discardableResult
    func send(_ type: String, _ body: JSON, id: String? = nil, saga: String = "saga-1") throws -> Decision {
        let command = Command(id: id ?? "\(saga)/\(log.count)/\(type)", type: type, correlationID: saga, causationID: saga, body: body)
        for stream in (try? core.streams(for: command)) ?? [] where !core.holds(stream) {
            try core.load(stream, events: log.filter { $0.stream == stream })
        }
        let decision = try core.decide(command, now: now)
        try commit(decision.appends)
        now += 1
        return decision
    }

    private func commit(_ appends: [StreamAppend]) throws {
        var writes: [ReadWrite] = []
        var added: [Event] = []
        for streamAppend in appends {
            var version: Int64
            switch streamAppend.expectedVersion {
            case .exact(let v): version = v
            case .noStream: version = 0
            case .any: version = log.filter { $0.stream == streamAppend.stream }.map(\.version).max() ?? 0
            }
            let actual = log.filter { $0.stream == streamAppend.stream }.map(\.version).max() ?? 0
            precondition(version == actual, "core expected \(streamAppend.stream) at \(version), it is at \(actual)")
            if !core.holds(streamAppend.stream) { try core.load(streamAppend.stream, events: log.filter { $0.stream == streamAppend.stream }) }
            for newEvent in streamAppend.events {
                version += 1
                let event = Event(seq: Int64(log.count + 1), stream: streamAppend.stream, version: version, type: newEvent.type,
                                  data: newEvent.data, metadata: EventMetadata(correlationID: newEvent.correlationID,
                                                                               causationID: newEvent.causationID,
                                                                               service: Core.serviceName, timeMs: newEvent.timeMs))
                writes += try core.apply(event)
                log.append(event)
                added.append(event)
            }
        }
        guard !appends.isEmpty else { return }
        let committed = try store.commit(LogBatch(appends: appends, writes: writes))
        precondition(committed.map(\.seq) == added.map(\.seq), "the log assigned other sequence numbers")
    }

    func query(_ type: String, _ body: JSON = [:]) throws -> JSON {
        try core.query(Query(id: "q", type: type, body: body), reader: store, now: now)
    }

    /// A fresh core and read side rebuilt by replaying the log (every stream loaded as it stood
    /// before each event, as recovery does).
    func replayed(_ fresh: Core) throws -> Harness<Core> {
        let other = Harness(fresh)
        for event in log {
            if !other.core.holds(event.stream) {
                try other.core.load(event.stream, events: other.log.filter { $0.stream == event.stream })
            }
            let writes = try other.core.apply(event)
            other.log.append(event)
            try other.store.commit(LogBatch(appends: [StreamAppend(stream: event.stream, expectedVersion: .any, events: [
                NewEvent(type: event.type, data: event.data, correlationID: event.metadata.correlationID,
                         causationID: event.metadata.causationID, timeMs: event.metadata.timeMs)])], writes: writes))
        }
        return other
    }

    /// A fresh core restored from snapshots of the working set taken now, over the same read side.
    func restored(_ fresh: Core) throws -> Core {
        var core = fresh
        for stream in Set(log.map(\.stream) + Core.alwaysSnapshotted).sorted() {
            if let snapshot = self.core.snapshot(stream: stream) { try core.restore(stream: stream, snapshot: snapshot) }
        }
        return core
    }

    /// A query answered by another core over this harness's read side.
    func query(_ other: Core, _ type: String, _ body: JSON = [:]) throws -> JSON {
        try other.query(Query(id: "q", type: type, body: body), reader: store, now: now)
    }
}

func order(_ id: String, user: String = "u1", items: [(String, Int64, Int64)] = [("item1", 2, 1000)]) -> JSON {
    ["order_id": .string(id), "user_id": .string(user),
     "items": .array(items.map { ["item_id": .string($0.0), "quantity": .int($0.1), "price_cents": .int($0.2)] })]
}

func invalid(_ body: () throws -> Void) -> WireError? {
    do {
        try body()
        return nil
    } catch let error as WireError {
        return error
    } catch {
        return nil
    }
}
