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
/// and the saga-latency histogram bins.
///
/// Memory is fixed by the horizon and the keys, not by the history: the seconds are a ring of
/// ``horizon`` slots (slot `second mod horizon`), each a dense array of cells indexed by key
/// id, so a second that leaves the hour gives its slot, and its array's storage, to the new
/// second that takes it. At most ``maxKeys`` keys are tracked; a key with no cell left in the
/// hour gives its id back.
///
/// The cells are durable in the read side, not in the monitor's snapshot: one row per second
/// (table ``table``), written by ``takeWrites()`` in the commit of the events counted in it and
/// deleted when the second leaves the hour. A snapshot of the working set so stays small
/// however full the hour is, and a restart reads the hour back (``init(rows:)``).
public struct Analytics: Sendable, Equatable {
    /// One second's cells, by key id (a cell of count 0 is no cell).
    private struct Slot: Sendable {
        var second: Int64 = .min
        var cells: [Cell] = []
        var isEmpty: Bool { second == .min }

        /// Empties the slot for `second` (`.min`: for none), keeping the array's storage.
        mutating func reset(to second: Int64) {
            self.second = second
            for index in cells.indices { cells[index] = Cell() }
        }

        /// The cell of key `id`, the array grown to hold it.
        subscript(id: Int) -> Cell {
            get { id < cells.count ? cells[id] : Cell() }
            set {
                if cells.count <= id { cells.append(contentsOf: repeatElement(Cell(), count: id + 1 - cells.count)) }
                cells[id] = newValue
            }
        }
    }

    /// The seconds kept: one hour.
    public static let horizon: Int64 = 3600
    /// The most keys tracked at once: each event type and numeric field of any participant's
    /// events is a key, so their number is bounded here, not by what participants publish.
    public static let maxKeys = 512
    /// The read-side table of the cells: one row per second, keyed by the second.
    public static let table = ReadTable("analytics", columns: ["second"], indexes: [])

    /// The ring of seconds, allocated once.
    private var slots = [Slot](repeating: Slot(), count: Int(horizon))
    /// Key names by id (nil for a free id), ids by name, and the free ids.
    private var names: [String?] = []
    private var ids: [String: Int] = [:]
    private var freeIDs: [Int] = []
    /// The newest second seen, and the newest at the last eviction.
    private var newest: Int64 = 0
    private var lastEviction: Int64 = 0
    /// Seconds changed, and seconds evicted, since the last ``takeWrites()``.
    private var dirty: Set<Int64> = []
    private var evicted: Set<Int64> = []
    /// Cells not recorded because their key would have gone past ``maxKeys``.
    public private(set) var droppedCells: Int64 = 0

    public init() {}

    /// Equal when they hold the same cells in the same seconds (bookkeeping aside).
    public static func == (a: Analytics, b: Analytics) -> Bool { a.newest == b.newest && a.bySecond == b.bySecond }

    /// The keys tracked, sorted.
    public var keys: [String] { ids.keys.sorted() }

    /// How many seconds hold cells (at most ``horizon``).
    public var secondsHeld: Int { slots.reduce(0) { $0 + ($1.isEmpty ? 0 : 1) } }

    /// Every cell, by second then key name.
    var bySecond: [Int64: [String: Cell]] {
        var result: [Int64: [String: Cell]] = [:]
        for slot in slots where !slot.isEmpty { result[slot.second] = row(of: slot) }
        return result
    }

    /// Records one event of a service at `timeMs`: its count and its top-level numeric fields.
    public mutating func record(service: String, event type: String, data: JSON, timeMs: Int64) {
        let second = timeMs / 1000
        let key = MonitorState.key(service, type)
        add(key, nil, second)
        for (field, value) in data.objectValue ?? [:] {
            guard let number = value.intValue.map(Double.init) ?? (value.doubleValue) else { continue }
            if case .bool = value { continue }
            add("\(key).\(field)", number, second)
        }
        newest = max(newest, second)
        if newest - lastEviction >= 60 {
            evict(before: newest - Self.horizon + 1)
            lastEviction = newest
        }
    }

    /// Records a settled saga's latency in the histogram.
    public mutating func recordLatency(ms: Int64, timeMs: Int64) {
        add("saga.latency.bin.\(LatencyBins.bin(of: ms))", Double(ms), timeMs / 1000)
    }

    private static func index(of second: Int64) -> Int {
        let remainder = second % horizon
        return Int(remainder < 0 ? remainder + horizon : remainder)
    }

    private mutating func add(_ key: String, _ value: Double?, _ second: Int64) {
        guard second > newest - Self.horizon else { return }
        guard let id = id(of: key) else {
            droppedCells += 1
            return
        }
        let index = Self.index(of: second)
        if slots[index].second != second {
            // The slot holds a second at least an hour older (newer ones are within the hour
            // of this one): that second leaves, and this one takes its storage.
            if slots[index].second > second { return }
            if !slots[index].isEmpty { evicted.insert(slots[index].second) }
            slots[index].reset(to: second)
        }
        slots[index][id].add(value)
        dirty.insert(second)
    }

    /// The id of a key, given one if there is room.
    private mutating func id(of key: String) -> Int? {
        if let id = ids[key] { return id }
        guard ids.count < Self.maxKeys else { return nil }
        let id: Int
        if let free = freeIDs.popLast() {
            id = free
            names[id] = key
        } else {
            id = names.count
            names.append(key)
        }
        ids[key] = id
        return id
    }

    /// Empties the slots of seconds before `second`, and frees the ids of keys left with no cell.
    private mutating func evict(before second: Int64) {
        var live = [Bool](repeating: false, count: names.count)
        for index in slots.indices where !slots[index].isEmpty {
            if slots[index].second < second {
                evicted.insert(slots[index].second)
                slots[index].reset(to: .min)
                continue
            }
            for (id, cell) in slots[index].cells.enumerated() where cell.count > 0 { live[id] = true }
        }
        for (id, name) in names.enumerated() where !live[id] {
            guard let name else { continue }
            ids[name] = nil
            names[id] = nil
            freeIDs.append(id)
        }
    }

    /// The cell of key `id` in `second`, if that second is held.
    private func cell(_ id: Int, at second: Int64) -> Cell? {
        let slot = slots[Self.index(of: second)]
        guard slot.second == second, id < slot.cells.count, slot.cells[id].count > 0 else { return nil }
        return slot.cells[id]
    }

    /// The seconds of a window ending at `nowMs` (at most ``horizon`` of them).
    private func seconds(of window: AnalyticsWindow, nowMs: Int64) -> ClosedRange<Int64> {
        let end = nowMs / 1000
        return (end - min(window.seconds, Self.horizon) + 1)...end
    }

    /// The aggregate of one key over a window ending at `nowMs`.
    public func aggregate(_ key: String, window: AnalyticsWindow, nowMs: Int64) -> Cell {
        var total = Cell()
        guard let id = ids[key] else { return total }
        for second in seconds(of: window, nowMs: nowMs) {
            if let cell = cell(id, at: second) { total.merge(cell) }
        }
        return total
    }

    /// The aggregates of every key over a window ending at `nowMs`, in one pass over its seconds.
    public func aggregates(window: AnalyticsWindow, nowMs: Int64) -> [String: Cell] {
        var totals = [Cell](repeating: Cell(), count: names.count)
        for second in seconds(of: window, nowMs: nowMs) {
            let slot = slots[Self.index(of: second)]
            guard slot.second == second else { continue }
            for (id, cell) in slot.cells.enumerated() where cell.count > 0 { totals[id].merge(cell) }
        }
        var result: [String: Cell] = [:]
        for (id, name) in names.enumerated() {
            if let name, totals[id].count > 0 { result[name] = totals[id] }
        }
        return result
    }

    /// Every event key (`<service>.<EventType>`) seen.
    public var eventKeys: [String] {
        ids.keys.filter { Self.isEventKey($0) }.sorted()
    }

    private static func isEventKey(_ key: String) -> Bool {
        key.split(separator: ".").count == 2 && !key.hasPrefix("saga.latency")
    }

    /// A latency percentile (0–100) over a window, in ms, from the histogram.
    public func latencyPercentile(_ p: Double, window: AnalyticsWindow, nowMs: Int64) -> Double? {
        Self.latencyPercentile(p, of: aggregates(window: window, nowMs: nowMs))
    }

    private static func latencyPercentile(_ p: Double, of totals: [String: Cell]) -> Double? {
        var bins: [(bin: Int, cell: Cell)] = []
        for (key, cell) in totals where key.hasPrefix("saga.latency.bin.") {
            guard let bin = Int(key.dropFirst("saga.latency.bin.".count)) else { continue }
            bins.append((bin, cell))
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
            guard let id = ids[key] else { return [Int64](repeating: 0, count: Int(max(seconds, 0))) }
            return ((end - seconds + 1)...end).map { cell(id, at: $0)?.count ?? 0 }
        }
    }

    /// The report for one window.
    public func report(window: AnalyticsWindow, nowMs: Int64) -> JSON {
        let totals = aggregates(window: window, nowMs: nowMs)
        var events: [JSON] = []
        for key in totals.keys.filter({ Self.isEventKey($0) }).sorted() {
            let cell = totals[key]!
            let parts = key.split(separator: ".", maxSplits: 1)
            var fields = JSONObject()
            for (fieldKey, field) in totals where fieldKey.hasPrefix(key + ".") {
                fields[String(fieldKey.dropFirst(key.count + 1))] = [
                    "count": .int(field.count), "sum": .double(field.sum), "min": .double(field.min), "max": .double(field.max),
                    "avg": .double(field.sum / Double(field.count)),
                ]
            }
            events.append(["service": .string(String(parts[0])), "type": .string(String(parts[1])), "count": .int(cell.count),
                           "rate_per_s": .double(Double(cell.count) / Double(window.seconds)), "fields": .object(fields)])
        }
        let completed = totals[MonitorState.key(.sagaCompleted)]?.count ?? 0
        let compensated = totals[MonitorState.key(.sagaCompensated)]?.count ?? 0
        var latency = JSONObject()
        for (name, p) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0)] {
            latency[name] = Self.latencyPercentile(p, of: totals).map { .double($0) } ?? .null
        }
        return ["window": .string(window.rawValue), "seconds": .int(window.seconds), "events": .array(events),
                "keys": .int(Int64(ids.count)), "dropped_cells": .int(droppedCells),
                "sagas": ["completed": .int(completed), "compensated": .int(compensated),
                          "compensation_rate": completed + compensated > 0 ? .double(Double(compensated) / Double(completed + compensated)) : .null,
                          "latency_ms": .object(latency)]]
    }

    // MARK: Read side

    /// The rows of the seconds changed since the last call, and the deletions of the seconds
    /// evicted: for the commit of the events they count.
    public mutating func takeWrites() -> [ReadWrite] {
        var writes: [ReadWrite] = []
        for second in evicted.sorted() where slots[Self.index(of: second)].second != second {
            writes.append(.delete(table: Self.table.name, key: String(second)))
        }
        for second in dirty.sorted() {
            let slot = slots[Self.index(of: second)]
            guard slot.second == second else { continue }
            var document = JSONObject()
            for (key, cell) in row(of: slot).sorted(by: { $0.key < $1.key }) { document[key] = cell.row }
            writes.append(.put(table: Self.table.name, key: String(second), columns: ["second": .int(second)], document: .object(document)))
        }
        dirty.removeAll(keepingCapacity: true)
        evicted.removeAll(keepingCapacity: true)
        return writes
    }

    /// Whether writes are pending.
    public var hasWrites: Bool { !dirty.isEmpty || !evicted.isEmpty }

    private func row(of slot: Slot) -> [String: Cell] {
        var row: [String: Cell] = [:]
        for (id, cell) in slot.cells.enumerated() where cell.count > 0 {
            if let name = names[id] { row[name] = cell }
        }
        return row
    }

    /// The analytics of the rows of ``table`` (by key, the second), as ``takeWrites()`` left
    /// them. Rows that have left the hour since are deleted by the next ``takeWrites()``.
    public init(rows: [String: JSON]) {
        var bySecond: [(Int64, JSON)] = []
        for (key, document) in rows { if let second = Int64(key) { bySecond.append((second, document)) } }
        newest = bySecond.map(\.0).max() ?? 0
        lastEviction = newest
        for (second, document) in bySecond.sorted(by: { $0.0 < $1.0 }) {
            guard second > newest - Self.horizon else {
                evicted.insert(second)
                continue
            }
            for (key, member) in document.objectValue ?? [:] {
                let cell = Cell(row: member)
                guard cell.count > 0 else { continue }
                guard let id = id(of: key) else {
                    droppedCells += cell.count
                    continue
                }
                let index = Self.index(of: second)
                if slots[index].second != second { slots[index].reset(to: second) }
                slots[index][id] = cell
            }
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
