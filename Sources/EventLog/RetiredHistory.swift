import SagaWire

/// What retention has removed from a log so far: every sequence number it deleted (as merged
/// ranges), how much it removed, and the running totals of what the removed events counted.
///
/// It lives in the log itself, as the data of the last `HistoryRetired` event (stream
/// ``EventLog/retiredStream``): each retirement appends a new one, cumulative, and retires the
/// one before. So the live events plus these ranges always cover 1…head exactly, and the
/// totals of the live events plus these totals are the totals of everything that ever happened.
public struct RetiredHistory: Sendable, Equatable {
    /// Sequence numbers removed, merged and in order.
    public private(set) var ranges: [ClosedRange<Int64>] = []
    /// Events removed.
    public var events: Int64 = 0
    /// Streams (aggregates, sagas, views) removed.
    public var streams: Int64 = 0
    /// Command records removed.
    public var commands: Int64 = 0
    /// What the removed events counted, by counter name (the read side's counters they had
    /// moved): charges, refunds, confirmed totals, stock committed…
    public var totals: [String: Int64] = [:]
    /// Everything last active before this time (ms since the epoch) may be removed.
    public var throughMs: Int64 = 0
    /// The digest of the events removed (``EventDigest``), and the highest sequence number among
    /// them: a checkpoint's digest can be checked once it covers every one of them.
    public var digest = EventDigest()
    public var digestThrough: Int64 = 0

    public init() {}

    /// Adds removed sequence numbers.
    public mutating func add(_ seqs: [Int64]) {
        guard !seqs.isEmpty else { return }
        var all = ranges
        var sorted = seqs.sorted()
        var start = sorted.removeFirst(), end = start
        for seq in sorted {
            if seq == end + 1 { end = seq } else if seq > end { all.append(start...end); start = seq; end = seq }
        }
        all.append(start...end)
        all.sort { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<Int64>] = []
        for range in all {
            if let last = merged.last, range.lowerBound <= last.upperBound + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        ranges = merged
    }

    /// Whether a sequence number was removed.
    public func contains(_ seq: Int64) -> Bool {
        var low = 0, high = ranges.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if ranges[middle].upperBound < seq { low = middle + 1 } else if ranges[middle].lowerBound > seq { high = middle - 1 } else { return true }
        }
        return false
    }

    /// The removed ranges that overlap `window`, clipped to it.
    public func ranges(overlapping window: ClosedRange<Int64>) -> [ClosedRange<Int64>] {
        ranges.compactMap { range in
            range.overlaps(window) ? max(range.lowerBound, window.lowerBound)...min(range.upperBound, window.upperBound) : nil
        }
    }

    /// Sequence numbers removed in all.
    public var removedCount: Int64 { ranges.reduce(0) { $0 + $1.count.int64 } }

    public var json: JSON {
        ["ranges": .array(ranges.map { [.int($0.lowerBound), .int($0.upperBound)] }), "events": .int(events),
         "streams": .int(streams), "commands": .int(commands), "through_ms": .int(throughMs),
         "totals": .object(JSONObject(totals.mapValues { .int($0) })), "events_digest": .string(digest.description),
         "digest_through": .int(digestThrough)]
    }

    /// Reads a `HistoryRetired` event's data.
    public init(json: JSON) throws(EventLogError) {
        for pair in json["ranges"]?.arrayValue ?? [] {
            guard let low = pair.arrayValue?.first?.intValue, let high = pair.arrayValue?.last?.intValue, low <= high else {
                throw .corrupt("HistoryRetired: a range is not [first, last]")
            }
            ranges.append(low...high)
        }
        events = json["events"]?.intValue ?? 0
        streams = json["streams"]?.intValue ?? 0
        commands = json["commands"]?.intValue ?? 0
        throughMs = json["through_ms"]?.intValue ?? 0
        totals = (json["totals"]?.objectValue?.dictionary ?? [:]).compactMapValues(\.intValue)
        digest = json["events_digest"]?.stringValue.flatMap(EventDigest.init(hex:)) ?? EventDigest()
        digestThrough = json["digest_through"]?.intValue ?? 0
    }
}

extension Int {
    var int64: Int64 { Int64(self) }
}
