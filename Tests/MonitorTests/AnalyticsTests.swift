import SagaWire
import Testing
@testable import Monitor

@Suite struct AnalyticsTests {
    /// Events at chosen times (the injected clock is the event time plus the query's `now`).
    @Test func windowsAreExactAtSecondBoundaries() {
        var analytics = Analytics()
        let base: Int64 = 1_000_000_000
        // One PaymentCharged per second from second 0 to 3599, amount = 100 + second.
        for second in Int64(0)..<3600 {
            analytics.record(service: "payment", event: "PaymentCharged", data: ["amount_cents": .int(100 + second), "user_id": "u"],
                             timeMs: base + second * 1000 + 250)
        }
        let last = base + 3599 * 1000
        // The 1-minute window ending in second 3599 holds seconds 3540…3599: exactly 60 events.
        let minute = analytics.aggregate("payment.PaymentCharged", window: .oneMinute, nowMs: last)
        #expect(minute.count == 60)
        let amounts = analytics.aggregate("payment.PaymentCharged.amount_cents", window: .oneMinute, nowMs: last)
        #expect(amounts.count == 60)
        #expect(amounts.min == 3640 && amounts.max == 3699)
        #expect(amounts.sum == Double((3640...3699).reduce(0, +)))
        #expect(analytics.aggregate("payment.PaymentCharged", window: .fiveMinutes, nowMs: last).count == 300)
        #expect(analytics.aggregate("payment.PaymentCharged", window: .oneHour, nowMs: last).count == 3600)
        // At the last millisecond of a second the window is the same; at the next second the
        // oldest second leaves it.
        #expect(analytics.aggregate("payment.PaymentCharged", window: .oneMinute, nowMs: last + 999).count == 60)
        #expect(analytics.aggregate("payment.PaymentCharged", window: .oneMinute, nowMs: last + 1000).count == 59)
        #expect(analytics.aggregate("payment.PaymentCharged", window: .oneHour, nowMs: last + 1000).count == 3599)
        // A string field is not aggregated; rates are per second of window.
        #expect(analytics.aggregate("payment.PaymentCharged.user_id", window: .oneHour, nowMs: last).count == 0)
        let report = analytics.report(window: .oneMinute, nowMs: last)
        let events = report["events"]?.arrayValue ?? []
        #expect(events.count == 1)
        #expect(events.first?["rate_per_s"] == .double(1))
        #expect(events.first?["fields"]?["amount_cents"]?["avg"] == .double(3669.5))
    }

    @Test func oldSecondsAreEvictedSoMemoryStaysBounded() {
        var analytics = Analytics()
        for second in Int64(0)..<10_000 {
            analytics.record(service: "order", event: "OrderCreated", data: ["total_cents": 5], timeMs: second * 1000)
        }
        #expect(analytics.secondsHeld == Int(Analytics.horizon))
        #expect(analytics.aggregate("order.OrderCreated", window: .oneHour, nowMs: 9_999_000).count == 3600)
    }

    @Test func sagaLatencyPercentilesAndCompensationRate() {
        var analytics = Analytics()
        for index in Int64(1)...100 {
            let type = index % 4 == 0 ? "SagaCompensated" : "SagaCompleted"
            analytics.record(service: "saga", event: type, data: ["duration_ms": .int(index)], timeMs: 5000 + index)
            analytics.recordLatency(ms: index, timeMs: 5000 + index)
        }
        let report = analytics.report(window: .oneMinute, nowMs: 6000)
        #expect(report["sagas"]?["completed"] == 75)
        #expect(report["sagas"]?["compensated"] == 25)
        #expect(report["sagas"]?["compensation_rate"] == .double(0.25))
        let p50 = report["sagas"]?["latency_ms"]?["p50"]?.doubleValue ?? 0
        let p99 = report["sagas"]?["latency_ms"]?["p99"]?.doubleValue ?? 0
        // Bins are about 10% wide.
        #expect(p50 > 44 && p50 < 56)
        #expect(p99 > 89 && p99 <= 100)
        #expect(Analytics(rows: Self.rows(of: &analytics)) == analytics)
    }

    /// The cells' rows as the read side would hold them after `takeWrites()`.
    static func rows(of analytics: inout Analytics, into rows: [String: JSON] = [:]) -> [String: JSON] {
        var rows = rows
        for write in analytics.takeWrites() {
            switch write {
            case .put(let table, let key, _, let document): #expect(table == "analytics"); rows[key] = document
            case .delete(_, let key): rows[key] = nil
            case .count: Issue.record("analytics write no counters")
            }
        }
        return rows
    }

    /// One row per second changed, written again when it changes, deleted when the second
    /// leaves the hour; the rows read back are the same analytics, and nothing is pending.
    @Test func theCellsLiveInOneRowPerSecondDeletedWhenTheyLeaveTheHour() {
        var analytics = Analytics()
        analytics.record(service: "order", event: "OrderCreated", data: ["total_cents": 5], timeMs: 1_000)
        analytics.record(service: "order", event: "OrderCreated", data: ["total_cents": 7], timeMs: 1_500)
        var rows = Self.rows(of: &analytics)
        #expect(rows.keys.sorted() == ["1"])
        #expect(!analytics.hasWrites)
        analytics.record(service: "order", event: "OrderCreated", data: ["total_cents": 1], timeMs: 1_900)
        analytics.record(service: "saga", event: "SagaCompleted", data: [:], timeMs: 2_000)
        rows = Self.rows(of: &analytics, into: rows)
        #expect(rows.keys.sorted() == ["1", "2"])
        let restored = Analytics(rows: rows)
        #expect(restored == analytics)
        let cell = restored.aggregate("order.OrderCreated.total_cents", window: .oneMinute, nowMs: 2_000)
        #expect(cell.count == 3 && cell.sum == 13 && cell.min == 1 && cell.max == 7)
        // An hour and more later, the old seconds are deleted.
        for second in Int64(3)...3_700 {
            analytics.record(service: "saga", event: "SagaCompleted", data: [:], timeMs: second * 1000)
        }
        rows = Self.rows(of: &analytics, into: rows)
        #expect(rows["1"] == nil && rows["2"] == nil)
        #expect(rows.count <= 3600 + 61)
        #expect(Analytics(rows: rows) == analytics)
    }

    /// Keys are bounded whatever participants publish: past the cap, new keys are not tracked
    /// (counted in `dropped_cells`), and the keys already tracked go on counting.
    @Test func theNumberOfKeysIsBounded() {
        var analytics = Analytics()
        var fields = JSONObject()
        for index in 0..<(Analytics.maxKeys * 2) { fields["f\(index)"] = .int(Int64(index)) }
        analytics.record(service: "loyalty", event: "Wide", data: .object(fields), timeMs: 1_000)
        #expect(analytics.keys.count == Analytics.maxKeys)
        analytics.record(service: "loyalty", event: "Wide", data: [:], timeMs: 1_500)
        #expect(analytics.aggregate("loyalty.Wide", window: .oneMinute, nowMs: 2_000).count == 2)
        let report = analytics.report(window: .oneMinute, nowMs: 2_000)
        #expect(report["keys"] == .int(Int64(Analytics.maxKeys)))
        #expect(report["dropped_cells"] == .int(Int64(Analytics.maxKeys + 1)))
    }

    /// A key with no cell left in the hour gives its id back: a participant whose events have
    /// stopped does not hold a key for ever, and the cap counts the keys of the last hour.
    @Test func keysWithNoCellInTheHourAreFreed() {
        var analytics = Analytics()
        var fields = JSONObject()
        for index in 0..<(Analytics.maxKeys - 1) { fields["f\(index)"] = .int(1) }
        analytics.record(service: "old", event: "Wide", data: .object(fields), timeMs: 0)
        #expect(analytics.keys.count == Analytics.maxKeys)
        analytics.record(service: "new", event: "Thing", data: [:], timeMs: 1_000)
        #expect(analytics.droppedCells == 1)
        // Two hours of one new key: dropped while the old keys fill the cap (seconds 2 to
        // 3,600, when second 0 leaves the hour and the eviction frees them), counted after.
        for second in Int64(2)...7_200 { analytics.record(service: "new", event: "Late", data: [:], timeMs: second * 1000) }
        #expect(analytics.droppedCells == 1 + 3_599)
        #expect(analytics.keys == ["new.Late"])
        analytics.record(service: "new", event: "Wide", data: ["f7": 1], timeMs: 7_200_500)
        #expect(analytics.keys == ["new.Late", "new.Wide", "new.Wide.f7"])
        #expect(analytics.droppedCells == 1 + 3_599)
        #expect(analytics.aggregate("new.Wide.f7", window: .oneMinute, nowMs: 7_200_999).count == 1)
        #expect(analytics.aggregate("new.Late", window: .oneHour, nowMs: 7_200_999).count == 3600)
    }

    /// A late event inside the hour lands in its own second; one older than the hour is not
    /// counted, and does not disturb the second that holds its slot.
    @Test func lateEventsAreCountedOnlyWithinTheHour() {
        var analytics = Analytics()
        analytics.record(service: "order", event: "OrderCreated", data: [:], timeMs: 5_000_000)
        analytics.record(service: "order", event: "OrderCreated", data: [:], timeMs: 5_000_000 - 3_599_000)
        analytics.record(service: "order", event: "OrderCreated", data: [:], timeMs: 5_000_000 - 3_600_000)
        #expect(analytics.aggregate("order.OrderCreated", window: .oneHour, nowMs: 5_000_000).count == 2)
        #expect(analytics.secondsHeld == 2)
    }
}

@Suite struct PatternTests {
    func declined(_ user: String) -> JSON { ["user_id": .string(user), "order_id": "o", "amount_cents": 100] }

    /// Three declines for one user within five minutes: fires on the third, once.
    @Test func fraudFiresOnTheThirdDeclineWithinFiveMinutes() {
        var engine = PatternEngine(patterns: PatternDefinition.builtIns)
        #expect(engine.observe("payment.PaymentDeclined", data: declined("mallory"), timeMs: 0).isEmpty)
        #expect(engine.observe("payment.PaymentDeclined", data: declined("alice"), timeMs: 1000).isEmpty)
        #expect(engine.observe("payment.PaymentDeclined", data: declined("mallory"), timeMs: 100_000).isEmpty)
        let alerts = engine.observe("payment.PaymentDeclined", data: declined("mallory"), timeMs: 299_999)
        #expect(alerts.map(\.name) == ["FraudSuspected"])
        #expect(alerts.first?.group == "mallory")
        // It does not fire again while the condition holds.
        #expect(engine.observe("payment.PaymentDeclined", data: declined("mallory"), timeMs: 300_500).isEmpty)
        // Other event types and other users do not count.
        #expect(engine.observe("payment.PaymentCharged", data: declined("alice"), timeMs: 2000).isEmpty)
        #expect(engine.observe("payment.PaymentDeclined", data: declined("alice"), timeMs: 3000).isEmpty)
    }

    /// Exactly five minutes apart is outside the window: the first decline has left it.
    @Test func fraudWindowBoundaryIsExclusive() {
        var engine = PatternEngine(patterns: PatternDefinition.builtIns)
        _ = engine.observe("payment.PaymentDeclined", data: declined("bob"), timeMs: 0)
        _ = engine.observe("payment.PaymentDeclined", data: declined("bob"), timeMs: 150_000)
        #expect(engine.observe("payment.PaymentDeclined", data: declined("bob"), timeMs: 300_000).isEmpty)
        // One millisecond earlier would have been within it.
        var early = PatternEngine(patterns: PatternDefinition.builtIns)
        _ = early.observe("payment.PaymentDeclined", data: declined("bob"), timeMs: 0)
        _ = early.observe("payment.PaymentDeclined", data: declined("bob"), timeMs: 150_000)
        #expect(early.observe("payment.PaymentDeclined", data: declined("bob"), timeMs: 299_999).count == 1)
    }

    @Test func lowStockFiresBelowTheThresholdAndRearms() {
        var engine = PatternEngine(patterns: PatternDefinition.builtIns)
        #expect(engine.gauge("stock.available", group: "item1", value: 10, timeMs: 0).isEmpty)
        #expect(engine.gauge("stock.available", group: "item1", value: 9, timeMs: 1).map(\.group) == ["item1"])
        #expect(engine.gauge("stock.available", group: "item1", value: 3, timeMs: 2).isEmpty)
        #expect(engine.gauge("stock.available", group: "item1", value: 50, timeMs: 3).isEmpty)
        #expect(engine.gauge("stock.available", group: "item1", value: 0, timeMs: 4).count == 1)
        #expect(engine.gauge("stock.available", group: "item2", value: 10, timeMs: 5).isEmpty)
    }

    @Test func compensationSpikeNeedsTheRateAboveThresholdOverAMinute() {
        var engine = PatternEngine(patterns: PatternDefinition.builtIns)
        var fired: [Alert] = []
        // 20 sagas settle in a minute, exactly half compensated: not above 0.5.
        for index in Int64(0)..<20 {
            fired += engine.observe(index % 2 == 0 ? "saga.SagaCompensated" : "saga.SagaCompleted", data: [:], timeMs: index * 1000)
        }
        #expect(fired.isEmpty)
        // One more compensated: 11 of 21 > 0.5.
        fired += engine.observe("saga.SagaCompensated", data: [:], timeMs: 20_000)
        #expect(fired.map(\.name) == ["CompensationSpike"])
        // A minute later the old ones have left the window: fewer than 20 events, it re-arms.
        #expect(engine.observe("saga.SagaCompleted", data: [:], timeMs: 90_000).isEmpty)
        // Below 20 events a 100% rate does not fire.
        var quiet = PatternEngine(patterns: PatternDefinition.builtIns)
        for index in Int64(0)..<19 { #expect(quiet.observe("saga.SagaCompensated", data: [:], timeMs: index).isEmpty) }
    }

    @Test func patternsAreDataAndRoundTrip() throws {
        for pattern in PatternDefinition.builtIns {
            #expect(try PatternDefinition.parse(pattern.json, path: "p") == pattern)
        }
        let custom = try PatternDefinition.parseFile(Array("""
            [{"name": "BigSpender", "kind": "count", "event": "payment.PaymentCharged", "group_by": "user_id",
              "where": [{"field": "amount_cents", "op": "ge", "value": 100000}], "threshold": 2, "window_ms": 60000}]
            """.utf8))
        var engine = PatternEngine(patterns: custom)
        #expect(engine.observe("payment.PaymentCharged", data: ["user_id": "u", "amount_cents": 99_999], timeMs: 0).isEmpty)
        #expect(engine.observe("payment.PaymentCharged", data: ["user_id": "u", "amount_cents": 100_000], timeMs: 1).isEmpty)
        #expect(engine.observe("payment.PaymentCharged", data: ["user_id": "u", "amount_cents": 200_000], timeMs: 2).count == 1)
        #expect(throws: WireError.self) { try PatternDefinition.parseFile(Array(#"[{"name": "X", "kind": "count"}]"#.utf8)) }
        #expect(PatternEngine(patterns: custom, json: engine.json) == engine)
    }
}
