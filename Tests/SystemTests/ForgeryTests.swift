import Foundation
import GRDB
import SagaClient
import SagaHarness
import SagaWire
import Testing
import TestSupport

/// Every invariant can fail: a real cluster's logs, copied, are forged with plain SQLite edits
/// (each kind of corruption a bug could leave), and both `sagactl check --logs` and
/// `zsaga-log verify` must name it. The unforged copy is clean for both.
@Suite(.serialized) struct ForgeryTests {
    static let stock = "item1:100000,item2:100000,item3:100000"

    /// One forgery: SQL run on one process's log, the checks `sagactl check` must report (none:
    /// only the checkpoint's digest can see it), and whether `zsaga-log verify` of that log
    /// must fail too.
    struct Forgery: Sendable, CustomStringConvertible {
        var description: String
        var process: String
        var sql: [String]
        var checks: Set<String>
        var verifyFails = true
    }

    /// A stream of the given type's first event, from a saga that settled as `status` (its order id).
    static func order(_ status: String) -> String {
        status == "completed" ? "(SELECT json_extract(data, '$.order_id') FROM events WHERE type = 'PaymentCharged' ORDER BY seq LIMIT 1)"
            : "(SELECT json_extract(data, '$.order_id') FROM events WHERE type = 'PaymentDeclined' ORDER BY seq LIMIT 1)"
    }

    /// Appends a copy of the first event of `type` on `stream` as that stream's next version.
    static func duplicate(_ type: String, stream: String, causationSuffix: String = "") -> String {
        """
        INSERT INTO events (seq, stream, version, type, data, correlation_id, causation_id, time_ms)
        SELECT (SELECT MAX(seq) + 1 FROM events), stream, (SELECT MAX(version) + 1 FROM events e WHERE e.stream = events.stream),
               type, data, correlation_id, causation_id || '\(causationSuffix)', time_ms + 1
        FROM events WHERE type = '\(type)' AND stream = \(stream) ORDER BY seq LIMIT 1
        """
    }

    /// A `ShipmentCancelled` appended for the first shipment, as if its saga had compensated it.
    static let cancelFirstShipment = """
        INSERT INTO events (seq, stream, version, type, data, correlation_id, causation_id, time_ms)
        SELECT (SELECT MAX(seq) + 1 FROM events), stream, version + 1, 'ShipmentCancelled', json_object('order_id', json_extract(data, '$.order_id')),
               correlation_id, correlation_id || '/3/compensation', time_ms + 1
        FROM events WHERE seq = (SELECT MIN(seq) FROM events WHERE type = 'ShipmentCreated')
        """

    static let forgeries: [Forgery] = [
        Forgery(description: "charged twice under an operator retry's id", process: "payment",
                sql: [duplicate("PaymentCharged", stream: "(SELECT stream FROM events WHERE type = 'PaymentCharged' ORDER BY seq LIMIT 1)",
                                causationSuffix: "/r1")],
                checks: ["replay_strict", "one_effect_per_step", "money"]),
        Forgery(description: "wrong initial stock", process: "inventory",
                sql: ["UPDATE events SET data = json_set(data, '$.quantity', json_extract(data, '$.quantity') + 5) WHERE type = 'StockInitialized' AND stream = 'item-item1'"],
                checks: ["stock_initial"]),
        Forgery(description: "committed stock out of line", process: "inventory",
                sql: ["""
                    UPDATE events SET data = json_set(data, '$.items[0].quantity', json_extract(data, '$.items[0].quantity') + 1)
                    WHERE type = 'InventoryReserved' AND stream = (SELECT stream FROM events WHERE type = 'ReservationCommitted' ORDER BY seq LIMIT 1)
                    """],
                checks: ["stock_committed"]),
        Forgery(description: "a recorded total that lies", process: "order",
                sql: ["UPDATE events SET data = json_set(data, '$.total_cents', json_extract(data, '$.total_cents') + 100) WHERE seq = (SELECT MIN(seq) FROM events WHERE type = 'OrderCreated')"],
                checks: ["recorded_total", "replay_strict"]),
        Forgery(description: "a line price and the total changed under a snapshot", process: "order",
                sql: ["""
                    UPDATE events SET data = json_set(data, '$.items[0].price_cents', json_extract(data, '$.items[0].price_cents') + 100,
                        '$.total_cents', json_extract(data, '$.total_cents') + 100 * json_extract(data, '$.items[0].quantity'))
                    WHERE type = 'OrderCreated' AND stream = (SELECT stream FROM events WHERE type = 'OrderConfirmed' ORDER BY seq LIMIT 1)
                    """],
                checks: ["money", "charge_amount"]),
        Forgery(description: "a second OrderCreated", process: "order",
                sql: [duplicate("OrderCreated", stream: "(SELECT stream FROM events WHERE type = 'OrderCreated' ORDER BY seq LIMIT 1)")],
                checks: ["replay_strict"]),
        Forgery(description: "a second ShipmentCreated", process: "shipping",
                sql: [duplicate("ShipmentCreated", stream: "(SELECT stream FROM events WHERE type = 'ShipmentCreated' ORDER BY seq LIMIT 1)")],
                checks: ["replay_strict"]),
        Forgery(description: "a release of a reservation never made", process: "inventory",
                sql: ["""
                    INSERT INTO events (seq, stream, version, type, data, correlation_id, causation_id, time_ms)
                    VALUES ((SELECT MAX(seq) + 1 FROM events), 'reservation-ghost', 1, 'ReservationReleased', '{"order_id":"ghost"}', 'ghost', 'ghost/1/compensation', 1)
                    """],
                checks: ["replay_strict"]),
        Forgery(description: "a false insufficient-stock rejection", process: "inventory",
                sql: ["""
                    UPDATE events SET type = 'InventoryReservationRejected',
                        data = json_set(data, '$.reason', 'insufficient_stock', '$.item_id', json_extract(data, '$.items[0].item_id'))
                    WHERE seq = (SELECT MIN(seq) FROM events WHERE type = 'InventoryReserved'
                                 AND stream IN (SELECT stream FROM events WHERE type = 'ReservationReleased'))
                    """],
                checks: ["stock_rejection", "replay_strict"]),
        Forgery(description: "a completed saga's shipment cancelled", process: "shipping",
                sql: [cancelFirstShipment],
                // After the read side's position: what a kill before a projection batch leaves, so
                // the read side is not expected to show it (the restart projects it).
                checks: ["completed_shipment"], verifyFails: false),
        Forgery(description: "a projection position ahead of its rows (an event appended and claimed projected)", process: "shipping",
                sql: [cancelFirstShipment, "UPDATE projection SET seq = (SELECT MAX(seq) FROM events)"],
                checks: ["completed_shipment"]),
        Forgery(description: "a projection batch written twice (its counters counted again)", process: "order",
                sql: ["UPDATE counters SET value = value * 2 WHERE value != 0"],
                checks: []),
        Forgery(description: "the orchestrator's counters ahead of its events (a saga counted twice)", process: "saga",
                sql: ["UPDATE counters SET value = value + 1 WHERE name IN ('sagas.total', 'sagas.status.completed')"],
                checks: ["read_side_counters"]),
        Forgery(description: "an event deleted", process: "payment",
                sql: ["DELETE FROM events WHERE seq = (SELECT MIN(seq) FROM events WHERE type = 'PaymentCharged')"],
                checks: ["log_gap_free"]),
        Forgery(description: "a covered event rewritten where no fold looks (its causation)", process: "payment",
                sql: ["UPDATE events SET causation_id = causation_id || 'x' WHERE seq = (SELECT MIN(seq) FROM events WHERE type = 'PaymentCharged')"],
                checks: []),
        Forgery(description: "a claim the owner never recorded", process: "shipping",
                sql: ["DELETE FROM commands WHERE command_id = (SELECT causation_id FROM events WHERE type = 'ShipmentCreated' ORDER BY seq LIMIT 1)"],
                checks: ["claim_confirmed"], verifyFails: false),
    ]

    /// A settled cluster's data directory, built once: 60 sagas (a third declined), snapshots
    /// every 25 events, stopped cleanly.
    static let fixture: Result<TempDirectory, TestSupportError> = {
        do {
            let cluster = try LocalCluster(extraArguments: ["inventory": ["--stock", stock], "payment": ["--decline-rate", "0.33"]],
                                           environment: ["ZSAGA_SNAPSHOT_EVERY": "25"])
            defer { cluster.destroy() }
            try cluster.start()
            let run = try cluster.sagactl(["run", "--sagas", "60", "--concurrency", "8", "--prefix", "f"])
            guard run.status == 0 else { throw TestSupportError("sagactl run failed: \(run.stderr.suffix(5))") }
            _ = cluster.stop()
            let copy = try TempDirectory("forgery-fixture")
            try FileManager.default.removeItem(at: copy.url)
            try FileManager.default.copyItem(at: cluster.directory.url.appendingPathComponent("data"), to: copy.url)
            return .success(copy)
        } catch let error as TestSupportError {
            return .failure(error)
        } catch {
            return .failure(TestSupportError("\(error)"))
        }
    }()

    func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: [String]) {
        let child = try ChildProcess(try Binaries.path(executable), arguments)
        guard let status = child.wait(seconds: 120) else {
            child.killAndWait()
            throw TestSupportError("\(executable) did not finish")
        }
        return (status, child.stdoutLines)
    }

    func checks(_ directory: String) throws -> (status: Int32, checks: Set<String>, lines: [String]) {
        let result = try run("sagactl", ["check", "--logs", directory, "--stock", Self.stock, "--json"])
        let report = try JSONParser.parse(try #require(result.stdout.last))
        return (result.status, Set((report["violations"]?.arrayValue ?? []).compactMap { $0["check"]?.stringValue }), result.stdout)
    }

    func copy() throws -> TempDirectory {
        let fixture = try Self.fixture.get()
        let copy = try TempDirectory("forged")
        try FileManager.default.removeItem(at: copy.url)
        try FileManager.default.copyItem(at: fixture.url, to: copy.url)
        return copy
    }

    func logPath(_ directory: TempDirectory, _ process: String) -> String {
        directory.url.appendingPathComponent("\(process)/\(process).sqlite").path
    }

    @Test func theRealLogsAreClean() throws {
        let copy = try copy()
        defer { copy.remove() }
        let result = try checks(copy.url.path)
        #expect(result.status == 0, "\(result.lines.suffix(10))")
        for process in ["saga", "order", "inventory", "payment", "shipping"] {
            let verify = try run("zsaga-log", ["verify", logPath(copy, process)])
            #expect(verify.status == 0, "\(process): \(verify.stdout.suffix(10))")
            #expect(verify.stdout.contains { $0.contains("folded=") && !$0.contains("folded=0") && $0.contains("digest_compared=true") },
                    "\(verify.stdout)")
        }
    }

    @Test(arguments: forgeries) func theCheckNamesEveryForgery(_ forgery: Forgery) throws {
        let copy = try copy()
        defer { copy.remove() }
        let database = try DatabaseQueue(path: logPath(copy, forgery.process))
        try database.write { db in
            for statement in forgery.sql {
                try db.execute(sql: statement)
                #expect(db.changesCount > 0, "\(forgery): the forgery changed nothing: \(statement)")
            }
        }
        try database.close()
        let result = try checks(copy.url.path)
        if !forgery.checks.isEmpty { #expect(result.status == 1) }
        #expect(forgery.checks.isSubset(of: result.checks), "\(forgery): found \(result.checks.sorted())\n\(result.lines.suffix(12).joined(separator: "\n"))")
        let verify = try run("zsaga-log", ["verify", logPath(copy, forgery.process)])
        if forgery.verifyFails {
            #expect(verify.status == 1, "\(forgery): zsaga-log verify passed: \(verify.stdout.suffix(6))")
        }
    }

    /// A process started with `--verify-snapshots` on a log whose read side no longer matches
    /// its events refuses to start, naming the difference; without the flag it would serve it.
    @Test func aProcessRefusesToStartOnStoredStateItsEventsDoNotBearOut() throws {
        let copy = try copy()
        defer { copy.remove() }
        let database = try DatabaseQueue(path: logPath(copy, "order"))
        try database.write { db in
            try db.execute(sql: "UPDATE orders SET doc = json_set(doc, '$.total_cents', 1) WHERE rowid = (SELECT MIN(rowid) FROM orders)")
        }
        try database.close()
        func start(_ extra: [String]) throws -> ChildProcess {
            let ports = try FreePorts.take(2)
            return try ChildProcess(try Binaries.path("order-service"), [
                "--data-dir", copy.url.appendingPathComponent("order").path,
                "--router", "tcp://127.0.0.1:\(ports[0])", "--pub", "tcp://127.0.0.1:\(ports[1])",
            ] + extra)
        }
        let verified = try start(["--verify-snapshots"])
        let status = verified.wait(seconds: 60)
        #expect(status != nil && status != 0, "order-service started on a forged read side")
        let output = (verified.stdoutLines + verified.stderrLines).joined(separator: "\n")
        #expect(output.contains("differs from the fold of its events"), "\(output.suffix(800))")
        let unverified = try start([])
        defer { unverified.killAndWait() }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && !(unverified.stdoutLines + unverified.stderrLines).contains(where: { $0.contains("recovered") }) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect((unverified.stdoutLines + unverified.stderrLines).contains { $0.contains("recovered") }, "without the flag it does not check")
    }
}
