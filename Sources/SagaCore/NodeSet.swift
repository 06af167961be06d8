/// A set of a saga graph's nodes, by index (0 to 63): a bit set, so that the machine's sets
/// (the ready set, what a compensation waits for) cost no allocation.
public struct NodeSet: Sendable, Hashable, Sequence, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// The most nodes a graph has.
    public static let capacity = 64
    public private(set) var bits: UInt64

    /// No nodes.
    public init() { bits = 0 }

    /// The nodes `indices`.
    public init<S: Sequence>(_ indices: S) where S.Element == Int {
        bits = 0
        for index in indices { insert(index) }
    }

    public init(arrayLiteral indices: Int...) { self.init(indices) }

    /// Every node below `count`.
    public static func all(_ count: Int) -> NodeSet {
        precondition(count >= 0 && count <= capacity, "a graph has at most \(capacity) nodes")
        var set = NodeSet()
        set.bits = count == capacity ? .max : (UInt64(1) << UInt64(count)) - 1
        return set
    }

    public var isEmpty: Bool { bits == 0 }
    public var count: Int { bits.nonzeroBitCount }
    /// The highest node, if any.
    public var highest: Int? { bits == 0 ? nil : 63 - bits.leadingZeroBitCount }

    public func contains(_ index: Int) -> Bool {
        index >= 0 && index < Self.capacity && bits & (UInt64(1) << UInt64(index)) != 0
    }

    public mutating func insert(_ index: Int) {
        precondition(index >= 0 && index < Self.capacity, "node \(index) is out of a graph's range")
        bits |= UInt64(1) << UInt64(index)
    }

    public mutating func remove(_ index: Int) {
        guard index >= 0 && index < Self.capacity else { return }
        bits &= ~(UInt64(1) << UInt64(index))
    }

    public func union(_ other: NodeSet) -> NodeSet { NodeSet(bits: bits | other.bits) }
    public func intersection(_ other: NodeSet) -> NodeSet { NodeSet(bits: bits & other.bits) }
    public func subtracting(_ other: NodeSet) -> NodeSet { NodeSet(bits: bits & ~other.bits) }
    public func isSubset(of other: NodeSet) -> Bool { bits & ~other.bits == 0 }

    private init(bits: UInt64) { self.bits = bits }

    /// The nodes in ascending order.
    public func makeIterator() -> Iterator { Iterator(rest: bits) }

    public struct Iterator: IteratorProtocol {
        var rest: UInt64
        public mutating func next() -> Int? {
            guard rest != 0 else { return nil }
            let index = rest.trailingZeroBitCount
            rest &= rest - 1
            return index
        }
    }

    public var description: String { "[" + map(String.init).joined(separator: ", ") + "]" }
}
