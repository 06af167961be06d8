/// A JSON object: members in a fixed order (the order they were written or parsed in).
///
/// Objects on the wire are small, so members live in one array and are found by a linear
/// scan: no hashing, one allocation. Equality ignores member order, as JSON's does.
public struct JSONObject: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// The members, in order. Keys are unique.
    public private(set) var members: [(key: String, value: JSON)]

    /// An empty object.
    public init() { members = [] }

    /// An object with the members of a dictionary, in key order (so it encodes the same way
    /// every time).
    public init(_ dictionary: [String: JSON]) {
        members = dictionary.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { (key: $0.key, value: $0.value) }
    }

    /// An object from members whose keys are known to be unique.
    init(uniqueMembers: [(key: String, value: JSON)]) {
        members = uniqueMembers
    }

    /// An object literal; its keys must be distinct (as Swift requires of dictionary literals).
    public init(dictionaryLiteral elements: (String, JSON)...) {
        members = elements.map { (key: $0.0, value: $0.1) }
    }

    /// The number of members.
    public var count: Int { members.count }
    /// Whether there are no members.
    public var isEmpty: Bool { members.isEmpty }
    /// The keys, in order.
    public var keys: [String] { members.map(\.key) }

    private func index(of key: String) -> Int? {
        members.firstIndex { $0.key == key }
    }

    /// A member's value; setting `nil` removes the member, setting a new key appends it.
    public subscript(key: String) -> JSON? {
        get {
            for member in members where member.key == key { return member.value }
            return nil
        }
        set {
            if let index = index(of: key) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append((key: key, value: newValue))
            }
        }
    }

    /// Removes a member and returns its value.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSON? {
        guard let index = index(of: key) else { return nil }
        return members.remove(at: index).value
    }

    /// The object with every value transformed.
    public func mapValues(_ transform: (JSON) throws -> JSON) rethrows -> JSONObject {
        JSONObject(uniqueMembers: try members.map { (key: $0.key, value: try transform($0.value)) })
    }

    /// The members as a dictionary.
    public var dictionary: [String: JSON] {
        Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    public func makeIterator() -> IndexingIterator<[(key: String, value: JSON)]> {
        members.makeIterator()
    }
}

extension JSONObject: Equatable {
    /// Equal when both have the same keys with equal values, in any order.
    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        guard a.members.count == b.members.count else { return false }
        for (index, member) in a.members.enumerated() {
            // Usually the order matches; look the key up only when it does not.
            if index < b.members.count, b.members[index].key == member.key {
                if b.members[index].value != member.value { return false }
            } else if b[member.key] != member.value {
                return false
            }
        }
        return true
    }
}

extension JSONObject: Hashable {
    public func hash(into hasher: inout Hasher) {
        for member in members.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            hasher.combine(member.key)
            hasher.combine(member.value)
        }
    }
}
