import Testing
@testable import SagaWire

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let json = try JSONParser.parse(#" {"a": [1, -2, 3.5, 1e3, -0, true, false, null], "b": {"c": "d"}, "e": ""} "#)
        #expect(json == .object([
            "a": [1, -2, 3.5, 1000.0, 0, true, false, nil],
            "b": ["c": "d"],
            "e": "",
        ]))
    }

    @Test func integersStayExactAndLargeNumbersBecomeDoubles() throws {
        #expect(try JSONParser.parse("9223372036854775807") == .int(Int64.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .int(Int64.min))
        #expect(try JSONParser.parse("9223372036854775808") == .double(9223372036854775808.0))
        #expect(try JSONParser.parse("12.50") == .double(12.5))
        #expect(try JSONParser.parse("1E-2") == .double(0.01))
    }

    @Test func decodesEscapesAndUnicode() throws {
        #expect(try JSONParser.parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        #expect(try JSONParser.parse(#""\u00e9\u4e2d\ud83d\ude00""#) == .string("é中😀"))
        #expect(try JSONParser.parse("\"é中😀\"") == .string("é中😀"))
    }

    /// Every rejection the parser makes, with the reason it gives.
    @Test(arguments: [
        ("", "unexpected end of input"),
        ("   ", "unexpected end of input"),
        ("{", "unexpected end of input in object"),
        ("[1,", "unexpected end of input"),
        ("[1 2]", "expected ',' or ']'"),
        ("{\"a\" 1}", "expected ':'"),
        ("{\"a\":1 \"b\":2}", "expected ',' or '}'"),
        ("{a:1}", "expected a string key"),
        ("[1,]", "unexpected character ']'"),
        ("{\"a\":1,}", "expected a string key"),
        ("tru", "unexpected end of input"),
        ("nul!", "invalid literal"),
        ("01", "leading zero in number"),
        ("-", "expected a digit"),
        ("1.", "expected a digit after '.'"),
        ("1e", "expected a digit in exponent"),
        ("1e999", "number out of range"),
        ("-1e400", "number out of range"),
        ("\"abc", "unterminated string"),
        ("\"a\u{01}b\"", "control character in string"),
        ("\"\\x\"", "invalid escape \\'x'"),
        ("\"\\u12zz\"", "invalid hex digit in \\u escape"),
        ("\"\\u12", "truncated \\u escape"),
        ("\"\\ud800\"", "unpaired high surrogate"),
        ("\"\\ud800\\u0041\"", "invalid low surrogate"),
        ("\"\\udc00\"", "unpaired low surrogate"),
        ("{\"a\":1,\"a\":2}", "duplicate key \"a\""),
        ("1 2", "unexpected bytes after the document"),
        ("@", "unexpected character '@'"),
    ])
    func rejectsInvalidInput(_ input: String, _ reason: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(input) }
        do {
            _ = try JSONParser.parse(input)
        } catch {
            #expect(error.reason == reason, "input \(input.debugDescription)")
        }
    }

    @Test func rejectsInvalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0x5C, 0x6E, 0xED, 0xA0, 0x80, 0x22]] {
            #expect { try JSONParser.parse(bytes) } throws: { ($0 as? JSONParseError)?.reason == "invalid UTF-8 in string" }
        }
    }

    @Test func limitsDepthAndStringLength() throws {
        let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect { try JSONParser.parse(deep) } throws: { ($0 as? JSONParseError)?.reason == "nesting deeper than 32" }
        let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        _ = try JSONParser.parse(ok)
        // Far deeper input must fail cleanly, not overflow the stack.
        let hostile = String(repeating: "{\"a\":", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(hostile) }
        let small = JSONParser.Limits(maxDepth: 4, maxStringBytes: 8)
        #expect { try JSONParser.parse("\"123456789\"", limits: small) } throws: {
            ($0 as? JSONParseError)?.reason == "string longer than 8 bytes"
        }
        #expect { try JSONParser.parse("\"12345678\\n\"", limits: small) } throws: {
            ($0 as? JSONParseError)?.reason == "string longer than 8 bytes"
        }
    }

    @Test func errorsCarryTheOffset() {
        do {
            _ = try JSONParser.parse("[1, 2, x]")
            Issue.record("parsed invalid JSON")
        } catch {
            #expect(error.offset == 7)
            #expect(error.description == "invalid JSON at byte 7: unexpected character 'x'")
        }
    }
}

@Suite struct JSONWriterTests {
    @Test func writesCompactTextInMemberOrderAndCanonicalTextSorted() {
        let value: JSON = ["b": [1, 2.5, nil, true], "a": "x\"y\n\u{1}", "c": ["z": 1, "y": 2]]
        #expect(value.description == #"{"b":[1,2.5,null,true],"a":"x\"y\n\u0001","c":{"z":1,"y":2}}"#)
        #expect(String(decoding: JSONWriter.canonical(value), as: UTF8.self)
            == #"{"a":"x\"y\n\u0001","b":[1,2.5,null,true],"c":{"y":2,"z":1}}"#)
        // Member order does not matter for equality, nor for the canonical bytes.
        let reordered: JSON = ["c": ["y": 2, "z": 1], "a": "x\"y\n\u{1}", "b": [1, 2.5, nil, true]]
        #expect(reordered == value)
        #expect(JSONWriter.canonical(reordered) == JSONWriter.canonical(value))
        #expect(JSON.object(["k2": 1, "k1": 2]).description == #"{"k1":2,"k2":1}"#)
        #expect(JSON.int(Int64.min).description == "-9223372036854775808")
        #expect(JSON.double(.nan).description == "null")
    }

    @Test func roundTripsRandomValues() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            let value = randomJSON(&rng, depth: 0)
            let bytes = JSONWriter.encode(value)
            #expect(try JSONParser.parse(bytes) == value)
        }
    }

    private func randomJSON(_ rng: inout SplitMix64, depth: Int) -> JSON {
        switch rng.next() % (depth > 3 ? 5 : 7) {
        case 0: return .null
        case 1: return .bool(rng.next() % 2 == 0)
        case 2: return .int(Int64(bitPattern: rng.next()))
        case 3: return .double(Double(Int64(bitPattern: rng.next()) % 1_000_000) / 64.0 + 0.5)
        case 4:
            let scalars = (0..<(rng.next() % 12)).map { _ -> Character in
                let pool: [Character] = ["a", "Z", "\"", "\\", "\n", "\u{0}", "é", "中", "😀", "/", " "]
                return pool[Int(rng.next() % UInt64(pool.count))]
            }
            return .string(String(scalars))
        case 5: return .array((0..<(rng.next() % 5)).map { _ in randomJSON(&rng, depth: depth + 1) })
        default:
            var members: [String: JSON] = [:]
            for index in 0..<(rng.next() % 5) { members["k\(index)\(rng.next() % 3)"] = randomJSON(&rng, depth: depth + 1) }
            return .object(members)
        }
    }
}
