/// Typed, bounded reads of a JSON object's members, with errors that name the field.
///
/// Every failure is a ``WireError`` with code ``ErrorCode/invalidArgument`` (or the code the
/// caller chose) and the full path of the field, such as `body.items[2].quantity`.
public struct Fields: Sendable {
    /// The object's members.
    public let members: JSONObject
    /// The path of this object from the envelope root, e.g. `body` or `body.items[0]`.
    public let path: String
    /// The code thrown for a bad field.
    public let code: ErrorCode

    /// Reads `json` as an object at `path`.
    public init(_ json: JSON, path: String, code: ErrorCode = .invalidArgument) throws(WireError) {
        guard case .object(let members) = json else {
            throw WireError(code, "must be an object, got \(json.typeName)", field: path)
        }
        self.members = members
        self.path = path
        self.code = code
    }

    /// The full path of a member.
    public func path(of key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func fail(_ key: String, _ message: String) -> WireError {
        WireError(code, message, field: path(of: key))
    }

    /// Whether a member is present and not `null`.
    public func has(_ key: String) -> Bool {
        if let value = members[key], !value.isNull { return true }
        return false
    }

    /// A member as raw JSON, `nil` when missing or `null`.
    public func json(_ key: String) -> JSON? {
        guard let value = members[key], !value.isNull else { return nil }
        return value
    }

    /// A required string of 1 (or 0, when `allowEmpty`) to `maxBytes` UTF-8 bytes.
    public func string(_ key: String, maxBytes: Int = 256, allowEmpty: Bool = false) throws(WireError) -> String {
        guard let value = json(key) else { throw fail(key, "is required") }
        guard case .string(let text) = value else { throw fail(key, "must be a string, got \(value.typeName)") }
        if text.isEmpty && !allowEmpty { throw fail(key, "must not be empty") }
        if text.utf8.count > maxBytes { throw fail(key, "must be at most \(maxBytes) bytes") }
        return text
    }

    /// An optional string (missing or `null` gives `nil`).
    public func optionalString(_ key: String, maxBytes: Int = 256) throws(WireError) -> String? {
        guard has(key) else { return nil }
        return try string(key, maxBytes: maxBytes, allowEmpty: true)
    }

    /// A required identifier: 1 to `maxBytes` characters from `A-Z a-z 0-9 . _ - : / @`.
    public func identifier(_ key: String, maxBytes: Int = 128) throws(WireError) -> String {
        let text = try string(key, maxBytes: maxBytes)
        guard Self.isIdentifier(text) else {
            throw fail(key, "may only hold letters, digits and . _ - : / @")
        }
        return text
    }

    /// An optional identifier.
    public func optionalIdentifier(_ key: String, maxBytes: Int = 128) throws(WireError) -> String? {
        guard has(key) else { return nil }
        return try identifier(key, maxBytes: maxBytes)
    }

    /// Whether `text` is a valid identifier (see ``identifier(_:maxBytes:)``).
    public static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "@"):
                return true
            default:
                return false
            }
        }
    }

    /// A required integer within `range`. Fractional numbers, strings and out-of-range values fail.
    public func int(_ key: String, in range: ClosedRange<Int64> = Int64.min...Int64.max) throws(WireError) -> Int64 {
        guard let value = json(key) else { throw fail(key, "is required") }
        switch value {
        case .int(let number):
            guard range.contains(number) else {
                throw fail(key, "must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
            }
            return number
        case .double(let number):
            throw fail(key, "must be an integer between \(range.lowerBound) and \(range.upperBound), got \(number)")
        default:
            throw fail(key, "must be an integer, got \(value.typeName)")
        }
    }

    /// An optional integer within `range`.
    public func optionalInt(_ key: String, in range: ClosedRange<Int64> = Int64.min...Int64.max) throws(WireError) -> Int64? {
        guard has(key) else { return nil }
        return try int(key, in: range)
    }

    /// A required finite number within `range`.
    public func double(_ key: String, in range: ClosedRange<Double>) throws(WireError) -> Double {
        guard let value = json(key) else { throw fail(key, "is required") }
        guard let number = value.doubleValue else { throw fail(key, "must be a number, got \(value.typeName)") }
        guard number.isFinite, range.contains(number) else {
            throw fail(key, "must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
        }
        return number
    }

    /// An optional finite number within `range`.
    public func optionalDouble(_ key: String, in range: ClosedRange<Double>) throws(WireError) -> Double? {
        guard has(key) else { return nil }
        return try double(key, in: range)
    }

    /// A required boolean.
    public func bool(_ key: String) throws(WireError) -> Bool {
        guard let value = json(key) else { throw fail(key, "is required") }
        guard case .bool(let flag) = value else { throw fail(key, "must be a boolean, got \(value.typeName)") }
        return flag
    }

    /// An optional boolean.
    public func optionalBool(_ key: String) throws(WireError) -> Bool? {
        guard has(key) else { return nil }
        return try bool(key)
    }

    /// A required nested object.
    public func object(_ key: String) throws(WireError) -> Fields {
        guard let value = json(key) else { throw fail(key, "is required") }
        return try Fields(value, path: path(of: key), code: code)
    }

    /// An optional nested object.
    public func optionalObject(_ key: String) throws(WireError) -> Fields? {
        guard has(key) else { return nil }
        return try object(key)
    }

    /// A required array of `minCount` to `maxCount` elements, each with its path.
    public func array(_ key: String, minCount: Int = 0, maxCount: Int = 1000) throws(WireError) -> [(path: String, value: JSON)] {
        guard let value = json(key) else { throw fail(key, "is required") }
        guard case .array(let elements) = value else { throw fail(key, "must be an array, got \(value.typeName)") }
        guard elements.count >= minCount else { throw fail(key, "must have at least \(minCount) element(s)") }
        guard elements.count <= maxCount else { throw fail(key, "must have at most \(maxCount) elements") }
        let base = path(of: key)
        return elements.enumerated().map { (path: "\(base)[\($0.offset)]", value: $0.element) }
    }

    /// A required array of objects, each readable as ``Fields``.
    public func objects(_ key: String, minCount: Int = 0, maxCount: Int = 1000) throws(WireError) -> [Fields] {
        var result: [Fields] = []
        for element in try array(key, minCount: minCount, maxCount: maxCount) {
            result.append(try Fields(element.value, path: element.path, code: code))
        }
        return result
    }

    /// A required string that must be one of `allowed`.
    public func oneOf(_ key: String, _ allowed: [String]) throws(WireError) -> String {
        let text = try string(key, maxBytes: 64)
        guard allowed.contains(text) else {
            throw fail(key, "must be one of \(allowed.joined(separator: ", ")), got \"\(text)\"")
        }
        return text
    }
}
