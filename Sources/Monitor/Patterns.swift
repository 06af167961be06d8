import DequeModule
import SagaWire

/// A complex-event pattern: conditions on events, a group-by key, a window and a threshold.
/// Patterns are data; the monitor loads the built-ins and any from `--patterns FILE`.
public struct PatternDefinition: Sendable, Equatable {
    /// How a pattern decides.
    public enum Kind: Sendable, Equatable {
        /// At least `threshold` matching events with the same group key within `windowMs`.
        case count(threshold: Int, windowMs: Int64)
        /// The tracked value of a group falls below `threshold` (`stock.available` per item).
        case below(metric: String, threshold: Int64)
        /// Among the `denominator` events of the last `windowMs`, the share that are
        /// `numerator` events exceeds `threshold`, once at least `minEvents` were seen.
        case ratio(numerator: [String], denominator: [String], threshold: Double, windowMs: Int64, minEvents: Int)
    }

    /// A condition on an event field.
    public struct Condition: Sendable, Equatable {
        public var field: String
        public var op: String
        public var value: JSON

        func holds(_ data: JSON) -> Bool {
            guard let actual = data[field] else { return op == "absent" }
            switch op {
            case "eq": return actual == value
            case "ne": return actual != value
            case "gt": return (actual.doubleValue ?? .nan) > (value.doubleValue ?? .nan)
            case "ge": return (actual.doubleValue ?? .nan) >= (value.doubleValue ?? .nan)
            case "lt": return (actual.doubleValue ?? .nan) < (value.doubleValue ?? .nan)
            case "le": return (actual.doubleValue ?? .nan) <= (value.doubleValue ?? .nan)
            case "present": return true
            default: return false
            }
        }
    }

    /// The alert's name, e.g. `FraudSuspected`.
    public var name: String
    public var kind: Kind
    /// Which events count: `<service>.<EventType>` (for `count`).
    public var event: String?
    public var conditions: [Condition]
    /// The data field events are grouped by (e.g. `user_id`, `item_id`); `nil`: one group.
    public var groupBy: String?

    /// The definition as written in a patterns file.
    public var json: JSON {
        var out: JSONObject = ["name": .string(name)]
        switch kind {
        case .count(let threshold, let window):
            out["kind"] = "count"
            out["threshold"] = .int(Int64(threshold))
            out["window_ms"] = .int(window)
        case .below(let metric, let threshold):
            out["kind"] = "below"
            out["metric"] = .string(metric)
            out["threshold"] = .int(threshold)
        case .ratio(let numerator, let denominator, let threshold, let window, let minEvents):
            out["kind"] = "ratio"
            out["numerator"] = .array(numerator.map { .string($0) })
            out["denominator"] = .array(denominator.map { .string($0) })
            out["threshold"] = .double(threshold)
            out["window_ms"] = .int(window)
            out["min_events"] = .int(Int64(minEvents))
        }
        if let event { out["event"] = .string(event) }
        if !conditions.isEmpty {
            out["where"] = .array(conditions.map { ["field": .string($0.field), "op": .string($0.op), "value": $0.value] })
        }
        if let groupBy { out["group_by"] = .string(groupBy) }
        return .object(out)
    }

    /// Reads a definition; errors name the field.
    public static func parse(_ json: JSON, path: String) throws(WireError) -> PatternDefinition {
        let f = try Fields(json, path: path)
        let name = try f.identifier("name", maxBytes: 64)
        let kindName = try f.oneOf("kind", ["count", "below", "ratio"])
        var conditions: [Condition] = []
        if f.has("where") {
            for condition in try f.objects("where", maxCount: 16) {
                let op = try condition.oneOf("op", ["eq", "ne", "gt", "ge", "lt", "le", "present", "absent"])
                conditions.append(Condition(field: try condition.identifier("field", maxBytes: 64), op: op,
                                            value: condition.json("value") ?? .null))
            }
        }
        let kind: Kind
        switch kindName {
        case "count":
            kind = .count(threshold: Int(try f.int("threshold", in: 1...1_000_000)), windowMs: try f.int("window_ms", in: 1...86_400_000))
        case "below":
            kind = .below(metric: try f.oneOf("metric", ["stock.available"]), threshold: try f.int("threshold", in: 0...Int64.max))
        default:
            func list(_ key: String) throws(WireError) -> [String] {
                var names: [String] = []
                for element in try f.array(key, minCount: 1, maxCount: 16) {
                    guard let text = element.value.stringValue else { throw WireError(.invalidArgument, "must be a string", field: element.path) }
                    names.append(text)
                }
                return names
            }
            kind = .ratio(numerator: try list("numerator"), denominator: try list("denominator"),
                          threshold: try f.double("threshold", in: 0...1), windowMs: try f.int("window_ms", in: 1...86_400_000),
                          minEvents: Int(try f.optionalInt("min_events", in: 1...1_000_000) ?? 1))
        }
        let event = try f.optionalString("event", maxBytes: 128)
        if case .count = kind, event == nil { throw WireError(.invalidArgument, "is required for a count pattern", field: f.path(of: "event")) }
        return PatternDefinition(name: name, kind: kind, event: event, conditions: conditions,
                                 groupBy: try f.optionalIdentifier("group_by", maxBytes: 64))
    }

    /// Reads a patterns file: an array of definitions.
    public static func parseFile(_ bytes: [UInt8]) throws(WireError) -> [PatternDefinition] {
        let json: JSON
        do { json = try JSONParser.parse(bytes) } catch { throw WireError(.invalidArgument, error.description) }
        guard case .array(let elements) = json else { throw WireError(.invalidArgument, "must be an array of patterns", field: "patterns") }
        var patterns: [PatternDefinition] = []
        for (index, element) in elements.enumerated() { patterns.append(try parse(element, path: "patterns[\(index)]")) }
        return patterns
    }

    /// The built-ins of the original design notes.
    public static let builtIns: [PatternDefinition] = [
        // At least 3 declined payments for the same user within 5 minutes.
        PatternDefinition(name: "FraudSuspected", kind: .count(threshold: 3, windowMs: 300_000), event: "payment.PaymentDeclined",
                          conditions: [], groupBy: "user_id"),
        // An item's stock under a threshold.
        PatternDefinition(name: "LowStock", kind: .below(metric: "stock.available", threshold: 10), event: nil,
                          conditions: [], groupBy: "item_id"),
        // More than half the sagas settling in a minute were compensated (at least 20 settled).
        PatternDefinition(name: "CompensationSpike",
                          kind: .ratio(numerator: [MonitorState.key(.sagaCompensated)],
                                       denominator: [MonitorState.key(.sagaCompleted), MonitorState.key(.sagaCompensated)],
                                       threshold: 0.5, windowMs: 60_000, minEvents: 20),
                          event: nil, conditions: [], groupBy: nil),
    ]
}

/// An alert a pattern raised.
public struct Alert: Sendable, Equatable {
    public var name: String
    /// The group it concerns (a user id, an item id), when the pattern groups.
    public var group: String?
    public var timeMs: Int64
    public var data: JSON
}

/// Runs the patterns over the event stream. Pure: event time comes with each event, so
/// replaying the same events gives the same alerts.
///
/// Each pattern fires once when its condition becomes true for a group, and re-arms when the
/// condition stops holding.
public struct PatternEngine: Sendable, Equatable {
    public let patterns: [PatternDefinition]
    /// Matching event times per pattern and group (count patterns), oldest first, within the
    /// window: each event costs O(1), amortized, however many the window holds.
    private var times: [String: [String: Deque<Int64>]] = [:]
    /// Events per ratio pattern within its window: (time, is numerator), oldest first, and how
    /// many of them are numerators.
    private var ratios: [String: (events: Deque<RatioEvent>, numerators: Int)] = [:]
    /// Groups whose alert has fired and not re-armed, per pattern.
    private var fired: [String: Set<String>] = [:]

    struct RatioEvent: Sendable, Equatable {
        var time: Int64
        var isNumerator: Bool
    }

    public init(patterns: [PatternDefinition]) {
        self.patterns = patterns
    }

    public static func == (a: PatternEngine, b: PatternEngine) -> Bool {
        a.patterns == b.patterns && a.times == b.times && a.fired == b.fired
            && a.ratios.mapValues { Array($0.events) } == b.ratios.mapValues { Array($0.events) }
    }

    /// Feeds one event (`<service>.<EventType>`) and returns the alerts it raises.
    public mutating func observe(_ key: String, data: JSON, timeMs: Int64) -> [Alert] {
        var alerts: [Alert] = []
        for pattern in patterns {
            switch pattern.kind {
            case .count(let threshold, let window):
                guard key == pattern.event, pattern.conditions.allSatisfy({ $0.holds(data) }) else { continue }
                let group = pattern.groupBy.map { data[$0]?.stringValue ?? data[$0]?.description ?? "" } ?? ""
                var list = times[pattern.name]?[group] ?? []
                while let first = list.first, first <= timeMs - window { list.removeFirst() }
                list.append(timeMs)
                times[pattern.name, default: [:]][group] = list
                if list.count >= threshold {
                    if fired[pattern.name, default: []].insert(group).inserted {
                        alerts.append(Alert(name: pattern.name, group: pattern.groupBy == nil ? nil : group, timeMs: timeMs, data: [
                            "pattern": .string(pattern.name), "group": .string(group), "count": .int(Int64(list.count)),
                            "window_ms": .int(window), "event": .string(key),
                        ]))
                    }
                } else {
                    fired[pattern.name]?.remove(group)
                }
            case .ratio(let numerator, let denominator, let threshold, let window, let minEvents):
                guard denominator.contains(key) else { continue }
                var entry = ratios[pattern.name] ?? ([], 0)
                while let first = entry.events.first, first.time <= timeMs - window {
                    if first.isNumerator { entry.numerators -= 1 }
                    entry.events.removeFirst()
                }
                let isNumerator = numerator.contains(key)
                entry.events.append(RatioEvent(time: timeMs, isNumerator: isNumerator))
                if isNumerator { entry.numerators += 1 }
                ratios[pattern.name] = entry
                let list = entry.events
                let share = Double(entry.numerators) / Double(list.count)
                if list.count >= minEvents && share > threshold {
                    if fired[pattern.name, default: []].insert("").inserted {
                        alerts.append(Alert(name: pattern.name, group: nil, timeMs: timeMs, data: [
                            "pattern": .string(pattern.name), "rate": .double(share), "events": .int(Int64(list.count)),
                            "threshold": .double(threshold), "window_ms": .int(window),
                        ]))
                    }
                } else {
                    fired[pattern.name]?.remove("")
                }
            case .below:
                continue
            }
        }
        // Forget groups whose events all left their window, so memory stays bounded.
        if timeMs % 64 == 0 { prune(now: timeMs) }
        return alerts
    }

    /// Feeds a new value of a tracked metric (e.g. `stock.available` of an item).
    public mutating func gauge(_ metric: String, group: String, value: Int64, timeMs: Int64) -> [Alert] {
        var alerts: [Alert] = []
        for pattern in patterns {
            guard case .below(let name, let threshold) = pattern.kind, name == metric else { continue }
            if value < threshold {
                if fired[pattern.name, default: []].insert(group).inserted {
                    alerts.append(Alert(name: pattern.name, group: group, timeMs: timeMs, data: [
                        "pattern": .string(pattern.name), "group": .string(group), "metric": .string(metric),
                        "value": .int(value), "threshold": .int(threshold),
                    ]))
                }
            } else {
                fired[pattern.name]?.remove(group)
            }
        }
        return alerts
    }

    private mutating func prune(now: Int64) {
        for pattern in patterns {
            guard case .count(_, let window) = pattern.kind, var groups = times[pattern.name] else { continue }
            for (group, list) in groups where (list.last ?? 0) <= now - window {
                groups.removeValue(forKey: group)
                fired[pattern.name]?.remove(group)
            }
            times[pattern.name] = groups
        }
    }

    // MARK: Snapshot

    public var json: JSON {
        ["times": .object(times.mapValues { .object($0.mapValues { .array($0.map { .int($0) }) }) }),
         "ratios": .object(ratios.mapValues { .array($0.events.map { [.int($0.time), .bool($0.isNumerator)] }) }),
         "fired": .object(fired.mapValues { .array($0.sorted().map { .string($0) }) })]
    }

    public init(patterns: [PatternDefinition], json: JSON) {
        self.patterns = patterns
        for (name, groups) in json["times"]?.objectValue ?? [:] {
            times[name] = (groups.objectValue?.dictionary ?? [:]).mapValues { Deque(($0.arrayValue ?? []).compactMap(\.intValue)) }
        }
        for (name, list) in json["ratios"]?.objectValue ?? [:] {
            let events = Deque((list.arrayValue ?? []).compactMap { pair -> RatioEvent? in
                guard let time = pair.arrayValue?.first?.intValue, let flag = pair.arrayValue?.last?.boolValue else { return nil }
                return RatioEvent(time: time, isNumerator: flag)
            })
            ratios[name] = (events, events.filter(\.isNumerator).count)
        }
        for (name, groups) in json["fired"]?.objectValue ?? [:] {
            fired[name] = Set((groups.arrayValue ?? []).compactMap(\.stringValue))
        }
    }
}
