/// The aggregates a core has loaded, by stream, with the least recently used forgotten first:
/// what a core keeps in memory of its history. A miss costs one read of the stream from the
/// log; what was never created is cached too (as `nil`), so a create needs no second read.
///
/// It is a cache, not a source of truth: the host applies every committed event to it, so an
/// entry is always the fold of its stream, and a forgotten one is read again when needed.
public struct AggregateCache<Value: Sendable>: Sendable {
    private struct Entry: Sendable {
        var value: Value?
        var used: UInt64
    }

    private var entries: [String: Entry] = [:]
    private var clock: UInt64 = 0
    /// Most entries kept after ``trim()``.
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity > 0, "a cache holds at least one aggregate")
        self.capacity = capacity
    }

    /// Entries held.
    public var count: Int { entries.count }

    /// Whether the stream is loaded (exists or is known not to).
    public func holds(_ stream: String) -> Bool { entries[stream] != nil }

    /// The loaded aggregate of a stream (`nil`: not loaded, or known not to exist).
    public subscript(stream: String) -> Value? {
        get { entries[stream]?.value }
    }

    /// Stores a stream's aggregate (`nil`: it has no events).
    public mutating func put(_ stream: String, _ value: Value?) {
        clock += 1
        entries[stream] = Entry(value: value, used: clock)
    }

    /// Marks a stream as just used.
    public mutating func touch(_ stream: String) {
        clock += 1
        entries[stream]?.used = clock
    }

    /// Forgets an entry.
    public mutating func remove(_ stream: String) {
        entries.removeValue(forKey: stream)
    }

    /// Forgets the least recently used entries beyond ``capacity`` (in one pass, and only once
    /// the cache is a quarter over, so trimming stays cheap).
    public mutating func trim() {
        guard entries.count > capacity + capacity / 4 else { return }
        let cut = entries.values.map(\.used).sorted()[entries.count - capacity]
        entries = entries.filter { $0.value.used >= cut }
    }

    /// Every loaded aggregate (for snapshots of what the cache must not lose).
    public var values: [(stream: String, value: Value)] {
        entries.compactMap { key, entry in entry.value.map { (key, $0) } }
    }
}
