/// The aggregates a core has loaded, by stream, with the least recently used forgotten first:
/// what a core keeps in memory of its history. A miss costs one read of the stream from the
/// log; what was never created is cached too (as `nil`), so a create needs no second read.
///
/// It is a cache, not a source of truth: the host applies every committed event to it, so an
/// entry is always the fold of its stream, and a forgotten one is read again when needed.
///
/// Two generations approximate LRU at O(1) a use: entries go into the young generation; a hit
/// in the old one moves the entry to the young; when the young one holds half the capacity it
/// becomes the old one, and the old one is forgotten. So at most `capacity` entries are held,
/// and an entry used in the last `capacity / 2` insertions is never forgotten.
public struct AggregateCache<Value: Sendable>: Sendable {
    private var young: [String: Value?] = [:]
    private var old: [String: Value?] = [:]
    /// Most entries held.
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity > 1, "a cache holds at least two aggregates")
        self.capacity = capacity
    }

    /// Entries held.
    public var count: Int { young.count + old.count }

    /// Whether the stream is loaded (exists or is known not to).
    public func holds(_ stream: String) -> Bool { young[stream] != nil || old[stream] != nil }

    /// The loaded aggregate of a stream (`nil`: not loaded, or known not to exist).
    public subscript(stream: String) -> Value? {
        if let entry = young[stream] { return entry }
        return old[stream] ?? nil
    }

    /// Stores a stream's aggregate (`nil`: it has no events).
    public mutating func put(_ stream: String, _ value: Value?) {
        old.removeValue(forKey: stream)
        young[stream] = .some(value)
        if young.count >= capacity / 2 {
            old = young
            young = [:]
            young.reserveCapacity(capacity / 2)
        }
    }

    /// Marks a stream as just used (moves it to the young generation).
    public mutating func touch(_ stream: String) {
        guard young[stream] == nil, let entry = old[stream] else { return }
        put(stream, entry)
    }

    /// Forgets an entry.
    public mutating func remove(_ stream: String) {
        young.removeValue(forKey: stream)
        old.removeValue(forKey: stream)
    }

    /// Nothing to do: the generations bound the cache as it goes. Kept for the cores' `trim()`.
    public mutating func trim() {}

    /// Every loaded aggregate.
    public var values: [(stream: String, value: Value)] {
        (old.merging(young) { $1 }).compactMap { key, entry in entry.map { (key, $0) } }
    }
}
