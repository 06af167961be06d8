import Domain
import SagaWire

/// Drives a core the way the service host does: decide, then apply the decided events with
/// sequence numbers, and keep every event for replay checks.
struct Harness<Core: ServiceCore> {
    var core: Core
    var log: [Event] = []
    var now: Int64 = 1_000

    init(_ core: Core) { self.core = core }

    mutating func bootstrap() throws {
        commit(core.bootstrap(now: now))
    }

    /// Decides and applies a command; throws the core's ``WireError`` for refused input.
    @discardableResult
    mutating func send(_ type: String, _ body: JSON, id: String? = nil, saga: String = "saga-1") throws -> Decision {
        let command = Command(id: id ?? "\(saga)/\(log.count)/\(type)", type: type, correlationID: saga, causationID: saga, body: body)
        let decision = try core.decide(command, now: now)
        commit(decision.appends)
        now += 1
        return decision
    }

    private mutating func commit(_ appends: [StreamAppend]) {
        for streamAppend in appends {
            var version: Int64
            switch streamAppend.expectedVersion {
            case .exact(let v): version = v
            case .noStream: version = 0
            case .any: version = log.filter { $0.stream == streamAppend.stream }.map(\.version).max() ?? 0
            }
            let actual = log.filter { $0.stream == streamAppend.stream }.map(\.version).max() ?? 0
            precondition(version == actual, "core expected \(streamAppend.stream) at \(version), it is at \(actual)")
            for newEvent in streamAppend.events {
                version += 1
                let event = Event(seq: Int64(log.count + 1), stream: streamAppend.stream, version: version, type: newEvent.type,
                                  data: newEvent.data, metadata: EventMetadata(correlationID: newEvent.correlationID,
                                                                               causationID: newEvent.causationID,
                                                                               service: Core.serviceName, timeMs: newEvent.timeMs))
                try! core.apply(event)
                log.append(event)
            }
        }
    }

    func query(_ type: String, _ body: JSON = [:]) throws -> JSON {
        try core.query(Query(id: "q", type: type, body: body), now: now)
    }

    /// A fresh core rebuilt by replaying the log.
    func replayed(_ fresh: Core) throws -> Core {
        var core = fresh
        for event in log { try core.apply(event) }
        return core
    }

    /// A fresh core rebuilt from snapshots of every stream taken now.
    func restored(_ fresh: Core) throws -> Core {
        var core = fresh
        for stream in Set(log.map(\.stream)).sorted() {
            if let snapshot = self.core.snapshot(stream: stream) { try core.restore(stream: stream, snapshot: snapshot) }
        }
        return core
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
