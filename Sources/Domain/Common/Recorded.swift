import SagaWire

/// Reading recorded event data and snapshots back into state. Data written by this build is
/// always valid; anything else is a ``DomainError`` (a corrupt or foreign log), never a trap.
struct Recorded {
    let json: JSON
    let what: String

    init(_ json: JSON, _ what: String) {
        self.json = json
        self.what = what
    }

    func string(_ key: String) throws(DomainError) -> String {
        guard let value = json[key]?.stringValue else { throw DomainError("\(what): \(key) missing or not a string") }
        return value
    }

    func optionalString(_ key: String) -> String? { json[key]?.stringValue }

    func int(_ key: String) throws(DomainError) -> Int64 {
        guard let value = json[key]?.intValue else { throw DomainError("\(what): \(key) missing or not an integer") }
        return value
    }

    func optionalInt(_ key: String) -> Int64? { json[key]?.intValue }

    func lines(_ key: String = "items") throws(DomainError) -> [OrderLine] {
        do { return try OrderLine.decode(json[key]) } catch { throw DomainError("\(what): \(error.message)") }
    }

    func status<S: RawRepresentable>(_ key: String = "status", as: S.Type) throws(DomainError) -> S where S.RawValue == String {
        guard let raw = json[key]?.stringValue, let status = S(rawValue: raw) else {
            throw DomainError("\(what): invalid \(key)")
        }
        return status
    }
}

/// Keyset pagination for list queries: sorted keys after `after`, at most `limit`.
struct Page {
    let limit: Int
    let after: String?

    init(_ fields: Fields) throws(WireError) {
        limit = Int(try fields.optionalInt("limit", in: 1...Limits.maxPage) ?? 100)
        after = try fields.optionalString("after", maxBytes: 256)
    }

    /// The page of `keys` (which must be sorted) and the cursor for the next page, if any.
    func slice(_ keys: [String]) -> (keys: ArraySlice<String>, next: String?) {
        var start = 0
        if let after {
            // First key greater than `after` (binary search over the sorted keys).
            var low = 0, high = keys.count
            while low < high {
                let mid = (low + high) / 2
                if keys[mid] <= after { low = mid + 1 } else { high = mid }
            }
            start = low
        }
        let end = min(start + limit, keys.count)
        let page = keys[start..<end]
        return (page, end < keys.count ? page.last : nil)
    }
}
