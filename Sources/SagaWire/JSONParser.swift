/// Why a byte string is not acceptable JSON, and where.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Byte offset of the problem in the input.
    public let offset: Int
    /// What is wrong there.
    public let reason: String

    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// A strict RFC 8259 JSON parser with limits, for input from untrusted peers.
///
/// It never traps: invalid UTF-8, control characters in strings, duplicate object keys,
/// numbers outside the finite double range, nesting deeper than ``Limits/maxDepth`` and
/// trailing bytes are all reported as ``JSONParseError``.
public struct JSONParser {
    /// Bounds on what the parser accepts.
    public struct Limits: Sendable {
        /// Deepest nesting of arrays and objects.
        public var maxDepth: Int
        /// Longest string, in UTF-8 bytes.
        public var maxStringBytes: Int

        public init(maxDepth: Int = 32, maxStringBytes: Int = 1 << 20) {
            self.maxDepth = maxDepth
            self.maxStringBytes = maxStringBytes
        }

        /// The defaults: depth 32, strings up to 1 MiB.
        public static let `default` = Limits()
    }

    /// Parses one JSON document that fills all of `bytes` (surrounding whitespace allowed).
    public static func parse(_ bytes: [UInt8], limits: Limits = .default) throws(JSONParseError) -> JSON {
        do {
            return try bytes.withUnsafeBufferPointer { buffer in
                var parser = JSONParser(buffer, limits)
                return try parser.parseDocument()
            }
        } catch let error as JSONParseError {
            throw error
        } catch {
            throw JSONParseError(offset: 0, reason: "\(error)")
        }
    }

    /// Parses one JSON document from text.
    public static func parse(_ text: String, limits: Limits = .default) throws(JSONParseError) -> JSON {
        try parse(Array(text.utf8), limits: limits)
    }

    private let input: UnsafeBufferPointer<UInt8>
    private let limits: Limits
    private var position = 0
    private var depth = 0

    private init(_ input: UnsafeBufferPointer<UInt8>, _ limits: Limits) {
        self.input = input
        self.limits = limits
    }

    private func fail(_ reason: String, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(offset: offset ?? position, reason: reason)
    }

    private mutating func parseDocument() throws(JSONParseError) -> JSON {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if position != input.count { throw fail("unexpected bytes after the document") }
        return value
    }

    private mutating func skipWhitespace() {
        while position < input.count {
            switch input[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(JSONParseError) -> JSON {
        guard position < input.count else { throw fail("unexpected end of input") }
        switch input[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail("unexpected character \(Self.show(input[position]))")
        }
    }

    private mutating func expectLiteral(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        guard position + count <= input.count else { throw fail("unexpected end of input") }
        let bytes = UnsafeBufferPointer(start: word.utf8Start, count: count)
        for index in 0..<count where input[position + index] != bytes[index] {
            throw fail("invalid literal", at: position)
        }
        position += count
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > limits.maxDepth { throw fail("nesting deeper than \(limits.maxDepth)") }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSON {
        try enter()
        position += 1
        var members: [(key: String, value: JSON)] = []
        var seen: Set<String>?  // only for large objects; small ones are scanned
        skipWhitespace()
        if position < input.count, input[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(JSONObject(uniqueMembers: members))
        }
        while true {
            skipWhitespace()
            guard position < input.count else { throw fail("unexpected end of input in object") }
            guard input[position] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let keyOffset = position
            let key = try parseString()
            skipWhitespace()
            guard position < input.count, input[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            position += 1
            skipWhitespace()
            let value = try parseValue()
            let duplicate: Bool
            if members.count < 16 {
                duplicate = members.contains { $0.key == key }
            } else {
                if seen == nil { seen = Set(members.map(\.key)) }
                duplicate = !seen!.insert(key).inserted
            }
            if duplicate { throw fail("duplicate key \"\(key)\"", at: keyOffset) }
            members.append((key: key, value: value))
            skipWhitespace()
            guard position < input.count else { throw fail("unexpected end of input in object") }
            switch input[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                depth -= 1
                return .object(JSONObject(uniqueMembers: members))
            default: throw fail("expected ',' or '}'")
            }
        }
    }

    private mutating func parseArray() throws(JSONParseError) -> JSON {
        try enter()
        position += 1
        var elements: [JSON] = []
        skipWhitespace()
        if position < input.count, input[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard position < input.count else { throw fail("unexpected end of input in array") }
            switch input[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                depth -= 1
                return .array(elements)
            default: throw fail("expected ',' or ']'")
            }
        }
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        let start = position
        position += 1
        // Fast path: no escapes, all ASCII or valid UTF-8 checked by String(validating:).
        var scan = position
        var plain = true
        while scan < input.count {
            let byte = input[scan]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") { plain = false; break }
            if byte < 0x20 { throw fail("control character in string", at: scan) }
            scan += 1
        }
        guard scan < input.count else { throw fail("unterminated string", at: start) }
        if plain {
            if scan - position > limits.maxStringBytes { throw fail("string longer than \(limits.maxStringBytes) bytes", at: start) }
            let slice = UnsafeBufferPointer(rebasing: input[position..<scan])
            guard let text = String(validating: slice, as: UTF8.self) else {
                throw fail("invalid UTF-8 in string", at: start)
            }
            position = scan + 1
            return text
        }
        var bytes: [UInt8] = []
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: input[position..<scan]))
        position = scan
        while true {
            guard position < input.count else { throw fail("unterminated string", at: start) }
            let byte = input[position]
            if byte == UInt8(ascii: "\"") { position += 1; break }
            if byte < 0x20 { throw fail("control character in string") }
            if byte != UInt8(ascii: "\\") {
                bytes.append(byte)
                position += 1
            } else {
                position += 1
                guard position < input.count else { throw fail("unterminated escape") }
                let escape = input[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): bytes.append(0x22)
                case UInt8(ascii: "\\"): bytes.append(0x5C)
                case UInt8(ascii: "/"): bytes.append(0x2F)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"): try appendUnicodeEscape(into: &bytes)
                default: throw fail("invalid escape \\\(Self.show(escape))", at: position - 2)
                }
            }
            if bytes.count > limits.maxStringBytes { throw fail("string longer than \(limits.maxStringBytes) bytes", at: start) }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw fail("invalid UTF-8 in string", at: start)
        }
        return text
    }

    private mutating func readHex4() throws(JSONParseError) -> UInt32 {
        guard position + 4 <= input.count else { throw fail("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = input[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    private mutating func appendUnicodeEscape(into bytes: inout [UInt8]) throws(JSONParseError) {
        let escapeStart = position - 2
        var scalar = try readHex4()
        if (0xD800...0xDBFF).contains(scalar) {
            guard position + 6 <= input.count, input[position] == UInt8(ascii: "\\"), input[position + 1] == UInt8(ascii: "u")
            else { throw fail("unpaired high surrogate", at: escapeStart) }
            position += 2
            let low = try readHex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw fail("invalid low surrogate", at: escapeStart) }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(scalar) {
            throw fail("unpaired low surrogate", at: escapeStart)
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid code point", at: escapeStart) }
        bytes.append(contentsOf: UTF8.encode(unicode)!)
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSON {
        let start = position
        if input[position] == UInt8(ascii: "-") { position += 1 }
        guard position < input.count, Self.isDigit(input[position]) else { throw fail("expected a digit", at: position) }
        if input[position] == UInt8(ascii: "0") {
            position += 1
            if position < input.count, Self.isDigit(input[position]) { throw fail("leading zero in number", at: start) }
        } else {
            while position < input.count, Self.isDigit(input[position]) { position += 1 }
        }
        var integral = true
        if position < input.count, input[position] == UInt8(ascii: ".") {
            integral = false
            position += 1
            guard position < input.count, Self.isDigit(input[position]) else { throw fail("expected a digit after '.'") }
            while position < input.count, Self.isDigit(input[position]) { position += 1 }
        }
        if position < input.count, input[position] == UInt8(ascii: "e") || input[position] == UInt8(ascii: "E") {
            integral = false
            position += 1
            if position < input.count, input[position] == UInt8(ascii: "+") || input[position] == UInt8(ascii: "-") { position += 1 }
            guard position < input.count, Self.isDigit(input[position]) else { throw fail("expected a digit in exponent") }
            while position < input.count, Self.isDigit(input[position]) { position += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: input[start..<position]), as: UTF8.self)
        if integral, let value = Int64(text) { return .int(value) }
        guard let value = Double(text), value.isFinite else {
            throw fail("number out of range", at: start)
        }
        return .double(value)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func show(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "0x" + String(byte, radix: 16)
    }
}
