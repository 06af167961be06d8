import SagaWire
import ServiceModel

/// Read-side writes gathered over many commits, reduced to what they leave behind: the last
/// put or delete of each row, and each counter's summed delta (with the counter it counts on
/// its creation). Written in one transaction, they leave the tables as writing every one of
/// them in order would: a put replaces its whole row, so only the last write of a key counts.
public struct ReadSideBatch: Sendable {
    private struct RowKey: Hashable, Sendable {
        var table: String
        var key: String
    }

    /// The last write of each row, in the order the rows were first written.
    private var rows: [RowKey: Int] = [:]
    private var rowWrites: [ReadWrite] = []
    private var counts: [String: (delta: Int64, onCreate: String?)] = [:]
    /// How many writes were added (before reducing).
    public private(set) var added = 0

    public init() {}

    /// Whether nothing was added.
    public var isEmpty: Bool { added == 0 }

    /// How many writes the batch holds once reduced.
    public var reducedCount: Int { rowWrites.count + counts.count }

    /// Adds writes, in the order they were made.
    public mutating func add(_ writes: [ReadWrite]) {
        for write in writes {
            added += 1
            switch write {
            case .put(let table, let key, _, _), .delete(let table, let key):
                let rowKey = RowKey(table: table, key: key)
                if let index = rows[rowKey] {
                    rowWrites[index] = write
                } else {
                    rows[rowKey] = rowWrites.count
                    rowWrites.append(write)
                }
            case .count(let name, let delta, let onCreate):
                // Only the first write can create the counter: its `onCreate` is the one that counts.
                counts[name, default: (0, onCreate)].delta += delta
            }
        }
    }

    /// The last write waiting for a row: its document when it puts it, `.some(nil)` when it
    /// deletes it, `nil` when nothing waits for it.
    public func document(_ table: String, key: String) -> JSON?? {
        guard let index = rows[RowKey(table: table, key: key)] else { return nil }
        if case .put(_, _, _, let document) = rowWrites[index] { return .some(document) }
        return .some(nil)
    }

    /// The reduced writes: the rows' last writes, then the counters by name.
    public var writes: [ReadWrite] {
        rowWrites + counts.sorted { $0.key < $1.key }.map { .count($0.key, by: $0.value.delta, onCreate: $0.value.onCreate) }
    }

    /// Empties the batch, keeping its storage.
    public mutating func removeAll() {
        rows.removeAll(keepingCapacity: true)
        rowWrites.removeAll(keepingCapacity: true)
        counts.removeAll(keepingCapacity: true)
        added = 0
    }
}
