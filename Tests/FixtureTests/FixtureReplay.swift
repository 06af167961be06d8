import Domain
import EventLog
import Foundation
import LogCheck
import Monitor
import SagaCore
import SagaWire
import HostCore
import ServiceModel
import TestSupport

/// What replaying a fixture's logs with today's code gives, as one JSON document that the
/// fixture's `expected.json` (written by the build the fixture came from) must equal:
///
/// - per process log, a strict fold from the first event with a fresh core: a rolling digest of
///   every event's read-side writes and of its stream's snapshot right after it (a mark every
///   ``markEvery`` events, so a difference is found to within a few events), the final
///   snapshots of every stream, the read side the fold writes (rows and counters), and
///   `StateVerification`'s findings against what the process stored;
/// - for the saga log, what recovery would re-send for every saga that can still move;
/// - the monitor's log folded through ``MonitorState``: its read side and working set;
/// - the log checker's report over the files.
enum FixtureReplay {
    static let markEvery = 200

    /// Replays the logs under `directory` (`<process>/<process>.sqlite`).
    static func replay(directory: String, participants: [String]) throws -> JSON {
        var result: [String: JSON] = [:]
        for process in LogChecker.processes {
            let log = try EventLog(existingAt: FileLogs.path(directory: directory, process: process))
            result[process] = try fold(log, service: process)
        }
        for participant in participants {
            let log = try EventLog(existingAt: FileLogs.path(directory: directory, process: participant))
            result[participant] = try digestOnly(log)
        }
        let monitorPath = FileLogs.path(directory: directory, process: "monitor")
        if FileManager.default.fileExists(atPath: monitorPath) {
            result["monitor"] = try monitor(try EventLog(existingAt: monitorPath))
        }
        let source = try FileLogs(directory: directory, processes: LogChecker.processes + participants)
        var report = try LogChecker(source: source, stock: nil, participants: participants).run()
        report.figures.removeValue(forKey: "checked_ms")
        result["check"] = report.json
        return .object(JSONObject(result))
    }

    private static func fold(_ log: EventLog, service: String) throws -> JSON {
        switch service {
        case "order": return try fold(log, OrderCore(cacheCapacity: 1_000))
        case "inventory": return try fold(log, InventoryCore(initialStock: [:], cacheCapacity: 1_000))
        case "payment": return try fold(log, PaymentCore(cacheCapacity: 1_000))
        case "shipping": return try fold(log, ShippingCore(cacheCapacity: 1_000))
        case "saga":
            var book = SagaBook()
            // After each event, what a restart would re-send for that saga: the pending commands.
            var result = try fold(log, &book, service: "saga") { book, event in
                guard let id = SagaStream.sagaID(in: event.stream), let state = book.active[id] else { return nil }
                return recovery(book, ids: [state.id])
            }
            result["recovery"] = recovery(book, ids: book.active.keys.sorted())
            return .object(JSONObject(result))
        default: return try digestOnly(log)
        }
    }

    private static func fold<State: EventSourced>(_ log: EventLog, _ state: State) throws -> JSON {
        var state = state
        return .object(JSONObject(try fold(log, &state)))
    }

    private static func fold<State: EventSourced>(_ log: EventLog, _ state: inout State, service: String = "",
                                                  after: (State, Event) -> JSON? = { _, _ in nil }) throws -> [String: JSON] {
        var digest = Digest()
        var marks: [JSON] = []
        var streams: Set<String> = []
        var image = Image()
        var folded = 0
        var next: Int64 = 1
        while true {
            let page = try log.read(from: next, limit: 2000)
            guard let last = page.last else { break }
            for event in page where event.stream != EventLog.retiredStream {
                if service == "saga" { try sameBytes(event) }
                let writes = try state.replay(event, from: log)
                image.apply(writes)
                streams.insert(event.stream)
                digest.add("\(event.seq)|\(event.stream)|\(event.type)")
                digest.add(JSONWriter.canonical(.array(writes.map(json))))
                digest.add(JSONWriter.canonical(state.snapshot(stream: event.stream) ?? .null))
                if let extra = after(state, event) { digest.add(JSONWriter.canonical(extra)) }
                folded += 1
                if folded % markEvery == 0 { marks.append(.string(digest.hex)) }
            }
            state.trim()
            next = last.seq + 1
        }
        var snapshots: [String: JSON] = [:]
        for stream in streams.union(State.alwaysSnapshotted) {
            if let snapshot = state.snapshot(stream: stream) { snapshots[stream] = snapshot }
        }
        let verification = try StateVerification.verify(log, freshCopy(of: state))
        return [
            "folded": .int(Int64(folded)), "head": .int(log.head), "digest": .string(digest.hex), "marks": .array(marks),
            "snapshots": .object(JSONObject(snapshots)), "tables": image.tablesJSON, "counters": image.countersJSON,
            "verification": ["folded": .int(Int64(verification.folded)), "problems": .array(verification.problems.map { .string($0) }),
                             "skipped": .array(verification.skipped.map { .string($0) })],
        ]
    }

    /// Every event of the orchestrator's log reads as a ``SagaEvent`` that writes it back to the
    /// same bytes (the stored members in their order).
    private static func sameBytes(_ event: Event) throws {
        let move = try SagaEvent(event)
        guard JSONWriter.encode(move.data) == JSONWriter.encode(event.data) else {
            throw TestSupportError("saga log event \(event.seq) \(event.type) does not encode back to its bytes: "
                                   + "stored \(String(decoding: JSONWriter.encode(event.data), as: UTF8.self)), "
                                   + "encoded \(String(decoding: JSONWriter.encode(move.data), as: UTF8.self))")
        }
    }

    /// A fresh state of the same kind (the cores fold from nothing).
    private static func freshCopy<State: EventSourced>(of state: State) -> State {
        switch state {
        case is SagaBook: return SagaBook() as! State
        case is OrderCore: return OrderCore(cacheCapacity: 1_000) as! State
        case is InventoryCore: return InventoryCore(initialStock: [:], cacheCapacity: 1_000) as! State
        case is PaymentCore: return PaymentCore(cacheCapacity: 1_000) as! State
        case is ShippingCore: return ShippingCore(cacheCapacity: 1_000) as! State
        default: fatalError("no fresh state for \(State.self)")
        }
    }

    /// What recovery re-sends for the sagas `ids` that can still move, in that order.
    private static func recovery(_ book: SagaBook, ids: [String]) -> JSON {
        var resent: [JSON] = []
        for id in ids {
            guard var state = book.active[id], state.status == .running || state.status == .compensating,
                  let definition = book.definition(of: state) else { continue }
            for effect in SagaMachine.recover(&state, definition) {
                guard case .send(let command, let attempt, let delay) = effect else { continue }
                resent.append(["id": .string(command.command.id), "type": .string(command.command.type),
                               "service": .string(command.service), "attempt": .int(Int64(attempt)), "delay_ms": .int(delay),
                               "body": command.command.body, "timeout_ms": .int(command.retry.timeoutMs)])
            }
        }
        return .array(resent)
    }

    /// A log no built-in core folds (an added participant's): every event's digest.
    private static func digestOnly(_ log: EventLog) throws -> JSON {
        var digest = Digest()
        var count = 0
        try log.forEachEvent { event in
            digest.add("\(event.seq)|\(event.stream)|\(event.version)|\(event.type)")
            digest.add(JSONWriter.canonical(event.data))
            count += 1
        }
        return ["events": .int(Int64(count)), "head": .int(log.head), "digest": .string(digest.hex)]
    }

    /// The monitor's log folded as its recovery folds it (views loaded from the read side the
    /// fold writes), with the built-in patterns.
    private static func monitor(_ log: EventLog) throws -> JSON {
        var state = MonitorState(patterns: PatternDefinition.builtIns)
        var image = Image()
        var digest = Digest()
        var next: Int64 = 1
        while true {
            let page = try log.read(from: next, limit: 5000)
            guard let last = page.last else { break }
            let replayable = page.filter { $0.stream != EventLog.retiredStream }
            for orderID in state.ordersToLoad(for: replayable) {
                state.load(order: orderID, view: image.tables[OrderView.table.name]?[orderID].map(OrderView.init(json:)))
            }
            for event in replayable {
                let alerts = state.apply(event)
                digest.add("\(event.seq)|\(alerts.map(\.name).joined(separator: ","))")
            }
            let writes = state.takeChangedViews()
            digest.add(JSONWriter.canonical(.array(writes.map(json))))
            image.apply(writes)
            state.trim()
            next = last.seq + 1
        }
        return ["head": .int(log.head), "digest": .string(digest.hex), "tables": image.tablesJSON, "counters": image.countersJSON,
                "core": state.coreJSON]
    }

    static func json(_ write: ReadWrite) -> JSON {
        switch write {
        case .put(let table, let key, let columns, let document):
            return ["put": .string(table), "key": .string(key), "document": document,
                    "columns": .object(JSONObject(columns.mapValues(json)))]
        case .delete(let table, let key):
            return ["delete": .string(table), "key": .string(key)]
        case .count(let name, let delta, let onCreate):
            return ["count": .string(name), "by": .int(delta), "on_create": onCreate.map { .string($0) } ?? .null]
        }
    }

    static func json(_ value: ReadValue) -> JSON {
        switch value {
        case .int(let number): return .int(number)
        case .text(let text): return .string(text)
        case .null: return .null
        }
    }

    /// FNV-1a over everything added, each addition ended by a zero byte.
    struct Digest {
        private var hash = FNV1a()
        mutating func add(_ text: String) { hash.addField(text, separator: 0) }
        mutating func add(_ bytes: [UInt8]) { hash.addField(bytes, separator: 0) }
        var hex: String { hash.hex }
    }

    /// The read side a fold writes, with its JSON form.
    struct Image {
        var side = ReadSideImage()
        mutating func apply(_ writes: [ReadWrite]) { side.apply(writes) }
        var tables: [String: [String: JSON]] { side.tables }
        var counters: [String: Int64] { side.counters }

        var tablesJSON: JSON { .object(JSONObject(tables.mapValues { .object(JSONObject($0)) })) }
        var countersJSON: JSON { .object(JSONObject(counters.mapValues { .int($0) })) }
    }
}
