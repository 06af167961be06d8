import Foundation
import SagaWire
import ServiceModel

/// The sliding windows the monitor reports: 1 minute, 5 minutes, 1 hour.
public enum AnalyticsWindow: String, CaseIterable, Sendable {
    case oneMinute = "1m"
    case fiveMinutes = "5m"
    case oneHour = "1h"

    /// The window's length in seconds.
    public var seconds: Int64 {
        switch self {
        case .oneMinute: return 60
        case .fiveMinutes: return 300
        case .oneHour: return 3600
        }
    }
}

/// Aggregates of one key in one second: count, and sum, min and max of a numeric value.
public struct Cell: Sendable, Equatable {
    public var count: Int64 = 0
    public var sum: Double = 0
    public var min: Double = .infinity
    public var max: Double = -.infinity

    mutating func add(_ value: Double?) {
        count += 1
        guard let value else { return }
        sum += value
        min = Swift.min(min, value)
        max = Swift.max(max, value)
    }

    mutating func merge(_ other: Cell) {
        count += other.count
        sum += other.sum
        min = Swift.min(min, other.min)
        max = Swift.max(max, other.max)
    }

    /// The cell as a row's member: `[count, sum, min, max]` (`null` for no value).
    var row: JSON {
        [.int(count), .double(sum), min.isFinite ? .double(min) : .null, max.isFinite ? .double(max) : .null]
    }

    init() {}

    init(row: JSON) {
        let members = row.arrayValue ?? []
        func member(_ index: Int) -> JSON? { index < members.count ? members[index] : nil }
        count = member(0)?.intValue ?? 0
        sum = member(1)?.doubleValue ?? 0
        min = member(2)?.doubleValue ?? .infinity
        max = member(3)?.doubleValue ?? -.infinity
    }
}

/// Windowed analytics over event time, in one-second buckets kept for an hour.
///
/// A window of W seconds ending at `now` covers the events whose second (⌊time/1000⌋) lies in
/// (⌊now/1000⌋ − W, ⌊now/1000⌋]: sliding by whole seconds, exact at every second boundary.
/// Keys are `<service>.<EventType>` (counts), `<service>.<EventType>.<field>` (numeric fields),
/// and the saga-latency histogram bins. Memory is bounded: seconds older than an hour are evicted.
///
/// The cells are durable in the read side, not in the monitor's snapshot: one row per second
/// (table ``table``), written by ``takeWrites()`` in the commit of the events counted in it and
/// deleted when the second leaves the hour. A snapshot of the working set so stays small
/// however full the hour is, and a restart reads the hour back (``init(rows:)``).
public struct Analytics: Sendable, Equatable {
    /// Cells by key, then by second.
    public private(set) var cells: [String: [Int64: Cell]] = [:]
    /// The newest second seen, and the newest at the last eviction.
    private var newest: Int64 = 0
    private var lastEviction: Int64 = 0
    /// Seconds changed, and seconds evicted, since the last ``takeWrites()``.
    private var dirty: Set<Int64> = []
    private var evicted: Set<Int64> = []
    static let horizon: Int64 = 3600
    /// The most keys tracked at once: each event type and numeric field of any participant's
    /// events is a key, so their number is bounded here, not by what participants publish.
    public static let maxKeys = 512
    /// Cells not recorded because their key would have gone past ``maxKeys``.
    public private(set) var droppedCells: Int64 = 0
    /// The read-side table of the cells: one row per second, keyed by the second.
    public static let table = ReadTable("analytics", columns: ["second"], indexes: [])

    public init() {}

    /// Equal when they hold the same cells (eviction bookkeeping aside).
    public static func == (a: Analytics, b: Analytics) -> Bool { a.cells == b.cells && a.newest == b.newest }

    /// Records one event of a service at `timeMs`: its count and its top-level numeric fields.
    public mutating func record(service: String, event type: String, data: JSON, timeMs: Int64) {
        let second = timeMs / 1000
        let key = "\(service).\(type)"
        add(key, nil, second)
        for (field, value) in data.objectValue ?? [:] {
            guard let number = value.intValue.map(Double.init) ?? (value.doubleValue) else { continue }
            if case .bool = value { continue }
            add("\(key).\(field)", number, second)
        }
        newest = max(newest, second)
        if newest - lastEviction >= 60 {
            evict(before: newest - Self.horizon)
            lastEviction = newest
        }
    }

    /// Records a settled saga's latency in the histogram.
    public mutating func recordLatency(ms: Int64, timeMs: Int64) {
        add("saga.latency.bin.\(LatencyBins.bin(of: ms))", Double(ms), timeMs / 1000)
    }

    private mutating func add(_ key: String, _ value: Double?, _ second: Int64) {
        guard second > newest - Self.horizon else { return }
        guard cells[key] != nil || cells.count < Self.maxKeys else {
            droppedCells += 1
            return
        }
        cells[key, default: [:]][second, default: Cell()].add(value)
        dirty.insert(second)
    }

    private mutating func evict(before second: Int64) {
        // Keep the newest hour: a second older than the horizon can no longer be in a window.
        for key in cells.keys {
            var kept: [Int64: Cell] = [:]
            for (cellSecond, cell) in cells[key]! {
                if cellSecond >= second { kept[cellSecond] = cell } else { evicted.insert(cellSecond) }
            }
            cells[key] = kept.isEmpty ? nil : kept
        }
    }

    /// The aggregate of one key over a window ending at `nowMs`.
    public func aggregate(_ key: String, window: AnalyticsWindow, nowMs: Int64) -> Cell {
        let end = nowMs / 1000
        let start = end - window.seconds
        var total = Cell()
        for (second, cell) in cells[key] ?? [:] where second > start && second <= end { total.merge(cell) }
        return total
    }

    /// Every event key (`<service>.<EventType>`) seen.
    public var eventKeys: [String] {
        cells.keys.filter { $0.split(separator: ".").count == 2 && !$0.hasPrefix("saga.latency") }.sorted()
    }

    /// A latency percentile (0–100) over a window, in ms, from the histogram.
    public func latencyPercentile(_ p: Double, window: AnalyticsWindow, nowMs: Int64) -> Double? {
        var bins: [(bin: Int, cell: Cell)] = []
        for key in cells.keys where key.hasPrefix("saga.latency.bin.") {
            guard let bin = Int(key.dropFirst("saga.latency.bin.".count)) else { continue }
            let cell = aggregate(key, window: window, nowMs: nowMs)
            if cell.count > 0 { bins.append((bin, cell)) }
        }
        let total = bins.reduce(Int64(0)) { $0 + $1.cell.count }
        guard total > 0 else { return nil }
        let rank = max(1, Int64((p / 100 * Double(total)).rounded(.up)))
        var seen: Int64 = 0
        for entry in bins.sorted(by: { $0.bin < $1.bin }) {
            seen += entry.cell.count
            // Within a bin, report its mean: the bins are narrow (about 10% wide).
            if seen >= rank { return entry.cell.sum / Double(entry.cell.count) }
        }
        return nil
    }

    /// Per-second counts of `keys` for the `seconds` seconds ending at `nowMs`, oldest first.
    public func series(_ keys: [String], seconds: Int64, nowMs: Int64) -> [[Int64]] {
        let end = nowMs / 1000
        return keys.map { key in
            let cells = self.cells[key] ?? [:]
            return ((end - seconds + 1)...end).map { cells[$0]?.count ?? 0 }
        }
    }

    /// The report for one window.
    public func report(window: AnalyticsWindow, nowMs: Int64) -> JSON {
        var events: [JSON] = []
        for key in eventKeys {
            let cell = aggregate(key, window: window, nowMs: nowMs)
            guard cell.count > 0 else { continue }
            let parts = key.split(separator: ".", maxSplits: 1)
            var fields = JSONObject()
            for fieldKey in cells.keys.sorted() where fieldKey.hasPrefix(key + ".") {
                let field = aggregate(fieldKey, window: window, nowMs: nowMs)
                guard field.count > 0 else { continue }
                fields[String(fieldKey.dropFirst(key.count + 1))] = [
                    "count": .int(field.count), "sum": .double(field.sum), "min": .double(field.min), "max": .double(field.max),
                    "avg": .double(field.sum / Double(field.count)),
                ]
            }
            events.append(["service": .string(String(parts[0])), "type": .string(String(parts[1])), "count": .int(cell.count),
                           "rate_per_s": .double(Double(cell.count) / Double(window.seconds)), "fields": .object(fields)])
        }
        let completed = aggregate("saga.SagaCompleted", window: window, nowMs: nowMs).count
        let compensated = aggregate("saga.SagaCompensated", window: window, nowMs: nowMs).count
        var latency = JSONObject()
        for (name, p) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0)] {
            latency[name] = latencyPercentile(p, window: window, nowMs: nowMs).map { .double($0) } ?? .null
        }
        return ["window": .string(window.rawValue), "seconds": .int(window.seconds), "events": .array(events),
                "keys": .int(Int64(cells.count)), "dropped_cells": .int(droppedCells),
                "sagas": ["completed": .int(completed), "compensated": .int(compensated),
                          "compensation_rate": completed + compensated > 0 ? .double(Double(compensated) / Double(completed + compensated)) : .null,
                          "latency_ms": .object(latency)]]
    }

    // MARK: Read side

    /// The rows of the seconds changed since the last call, and the deletions of the seconds
    /// evicted: for the commit of the events they count.
    public mutating func takeWrites() -> [ReadWrite] {
        var writes: [ReadWrite] = []
        for second in evicted.sorted() where cellsAt(second).isEmpty {
            writes.append(.delete(table: Self.table.name, key: String(second)))
        }
        for second in dirty.sorted() {
            let row = cellsAt(second)
            guard !row.isEmpty else { continue }
            var document = JSONObject()
            for (key, cell) in row.sorted(by: { $0.key < $1.key }) { document[key] = cell.row }
            writes.append(.put(table: Self.table.name, key: String(second), columns: ["second": .int(second)], document: .object(document)))
        }
        dirty.removeAll(keepingCapacity: true)
        evicted.removeAll(keepingCapacity: true)
        return writes
    }

    /// Whether writes are pending.
    public var hasWrites: Bool { !dirty.isEmpty || !evicted.isEmpty }

    private func cellsAt(_ second: Int64) -> [String: Cell] {
        var row: [String: Cell] = [:]
        for (key, seconds) in cells { if let cell = seconds[second] { row[key] = cell } }
        return row
    }

    /// The analytics of the rows of ``table`` (by key, the second), as ``takeWrites()`` left
    /// them (the next eviction deletes those that have left the hour since).
    public init(rows: [String: JSON]) {
        var bySecond: [(Int64, JSON)] = []
        for (key, document) in rows { if let second = Int64(key) { bySecond.append((second, document)) } }
        newest = bySecond.map(\.0).max() ?? 0
        lastEviction = newest
        for (second, document) in bySecond {
            for (key, cell) in document.objectValue ?? [:] { cells[key, default: [:]][second] = Cell(row: cell) }
        }
    }
}

/// Log-scale latency bins, about 10% wide, from 0.1 ms up.
enum LatencyBins {
    static func bin(of ms: Int64) -> Int {
        let value = max(Double(ms), 0.1)
        return Int((log(value * 10) / log(1.1)).rounded(.down))
    }
}
