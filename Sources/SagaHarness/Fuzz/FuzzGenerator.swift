import SagaClient
import SagaWire

/// Makes hostile messages for one ZSaga process, seeded so that a run repeats.
///
/// Every case but a mutated query is invalid by construction: a hostile value is always put in
/// a field the target validates, and the fuzzer never sends a valid command, so a fuzz run
/// cannot change any state (a success reply to a must-be-refused case is a finding). Ids are
/// `fz-…`, so they never collide with the ids of real sagas and commands.
public struct FuzzGenerator: Sendable {
    /// The process the messages are for: `saga`, `order`, `inventory`, `payment`, `shipping` or `monitor`.
    public let target: String
    private var random: SplitMix64
    private var counter = 0
    /// The envelope size limit (larger messages are answered `too_large`).
    public static let maxBytes = WireCodec.defaultMaxBytes
    /// libzmq's own limit on a frame (beyond it the connection is dropped unanswered).
    public static let transportMaxBytes = WireCodec.defaultMaxBytes + 4096

    public init(target: String, seed: UInt64) {
        self.target = target
        random = SplitMix64(seed: seed ^ UInt64(truncatingIfNeeded: target.hashValueStable))
    }

    /// The next case; `oversizedAllowed` lets the caller ration the expensive multi-megabyte ones.
    public mutating func next(oversizedAllowed: Bool = true) -> FuzzCase {
        let roll = int(1000)
        switch roll {
        case ..<90: return randomBytes()
        case ..<230: return mutated()
        case ..<300: return frameCount()
        case ..<340: return emptyFrames()
        case ..<410: return invalidUTF8()
        case ..<500: return truncated()
        case ..<560: return deepNesting()
        case ..<640: return hugeNumbers()
        case ..<880: return hostileValues()
        case ..<995: return badEnvelope()
        default: return oversizedAllowed ? oversized() : hostileValues()
        }
    }

    // MARK: Randomness

    private mutating func int(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(random.next() % UInt64(bound)) }
    private mutating func pick<T>(_ choices: [T]) -> T { choices[int(choices.count)] }
    private mutating func chance(_ p: Double) -> Bool { random.nextUnit() < p }
    private mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
    private mutating func nextID() -> String {
        counter += 1
        return "fz-\(target)-\(counter)-\(String(random.next() % 0xFFFF_FFFF, radix: 16))"
    }

    // MARK: Building blocks

    /// A JSON string literal (escaped).
    private static func quote(_ text: String) -> String { String(decoding: JSONWriter.encode(.string(text)), as: UTF8.self) }

    /// An envelope as JSON text with the given body text.
    private func envelope(kind: String, id: String, type: String, body: String) -> String {
        "{\"v\":1,\"kind\":\"\(kind)\",\"id\":\(Self.quote(id)),\"type\":\(Self.quote(type)),\"body\":\(body)}"
    }

    /// The types of queries the target answers (side-effect free: safe to mutate).
    private var queryTypes: [String] {
        let sys = ["sys.Ping", "sys.Head", "sys.Metrics", "sys.Replay"]
        switch target {
        case "saga": return sys + ["saga.Stats", "saga.ListSagas", "saga.GetSaga", "saga.Definitions"]
        case "order": return sys + ["order.Stats", "order.GetOrder", "order.ListOrders", "order.OrdersByUser"]
        case "inventory": return sys + ["inventory.Stock", "inventory.Stats", "inventory.GetReservation", "inventory.ListReservations"]
        case "payment": return sys + ["payment.Totals", "payment.PaymentsByOrder", "payment.ListPayments"]
        case "shipping": return sys + ["shipping.Stats", "shipping.ShipmentsByOrder", "shipping.ListShipments"]
        case "monitor": return sys + ["monitor.Stats", "monitor.Search", "monitor.ListSagas", "monitor.Alerts", "monitor.Analytics"]
        default: return sys
        }
    }

    /// The target's list query, which bounds `limit`.
    private var listQuery: String {
        switch target {
        case "saga": return "saga.ListSagas"
        case "order": return "order.ListOrders"
        case "inventory": return "inventory.ListReservations"
        case "payment": return "payment.ListPayments"
        case "shipping": return "shipping.ListShipments"
        default: return "monitor.ListSagas"
        }
    }

    /// A valid query of the target.
    private mutating func validQuery() -> (id: String, text: String) {
        let id = nextID()
        let type = pick(queryTypes)
        let body: String
        switch type {
        case "sys.Replay": body = "{\"from\":\(1 + int(50)),\"limit\":\(1 + int(20))}"
        case "saga.GetSaga": body = "{\"saga_id\":\(Self.quote(nextID()))}"
        case "order.GetOrder", "inventory.GetReservation", "payment.PaymentsByOrder", "shipping.ShipmentsByOrder":
            body = "{\"order_id\":\(Self.quote(nextID()))}"
        case "order.OrdersByUser": body = "{\"user_id\":\"u\(int(100))\"}"
        case "monitor.Search": body = "{\"text\":\"u\(int(10))\",\"limit\":5}"
        default: body = chance(0.5) ? "{}" : "{\"limit\":\(1 + int(50))}"
        }
        return (id, envelope(kind: "query", id: id, type: type, body: body))
    }

    /// A command of a type no process knows (safe to mutate: no flip makes it a real one).
    private mutating func unknownCommand() -> (id: String, text: String) {
        let id = nextID()
        return (id, envelope(kind: "command", id: id, type: "zz.Fuzz\(int(1000))", body: "{\"order_id\":\(Self.quote(nextID()))}"))
    }

    /// A valid order line as JSON text.
    private mutating func line(_ item: Int) -> String {
        "{\"item_id\":\"item\(item)\",\"quantity\":\(1 + int(5)),\"price_cents\":\(100 + int(9900))}"
    }

    // MARK: Categories

    private mutating func randomBytes() -> FuzzCase {
        let length = chance(0.1) ? 0 : (chance(0.8) ? int(256) : int(16_384))
        return FuzzCase(category: .randomBytes, frames: [bytes(length)])
    }

    private mutating func mutated() -> FuzzCase {
        let base = chance(0.7) ? validQuery() : unknownCommand()
        var data = Array(base.text.utf8)
        for _ in 0..<(1 + int(8)) where !data.isEmpty {
            let at = int(data.count)
            switch int(6) {
            case 0: data[at] ^= UInt8(1 << int(8))
            case 1: data[at] = UInt8(truncatingIfNeeded: random.next())
            case 2: data.insert(pick(Array("{}[]\",:\\0-e.".utf8)), at: at)
            case 3: data.remove(at: at)
            case 4: data.insert(contentsOf: data[at..<min(data.count, at + 1 + int(16))], at: at)
            default: data.swapAt(at, int(data.count))
            }
        }
        // A mutation may leave a valid query (answered normally); an unknown command stays unknown.
        return FuzzCase(category: .mutated, frames: [data], mustBeRefused: false, id: base.id)
    }

    private mutating func frameCount() -> FuzzCase {
        let body = Array(validQuery().text.utf8)
        let frames: [[UInt8]]
        switch int(4) {
        case 0: frames = [body, body]
        case 1: frames = [body, [], body]
        case 2: frames = [[], body, body]
        default: frames = (0..<(3 + int(6))).map { _ in chance(0.5) ? body : bytes(int(64)) }
        }
        return FuzzCase(category: .frameCount, frames: frames)
    }

    private mutating func emptyFrames() -> FuzzCase {
        switch int(4) {
        case 0: return FuzzCase(category: .emptyFrames, frames: [[]])
        case 1: return FuzzCase(category: .emptyFrames, frames: [[], []])
        case 2: return FuzzCase(category: .emptyFrames, frames: [[], [], []])
        default: return FuzzCase(category: .emptyFrames, frames: [[], [], Array(validQuery().text.utf8)])
        }
    }

    private mutating func invalidUTF8() -> FuzzCase {
        let bad: [[UInt8]] = [[0xFF], [0xC3, 0x28], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
                              [0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]]
        let id = nextID()
        // The bad bytes go into the type, which every envelope must have as valid text.
        let type = Array("order.".utf8) + pick(bad) + Array("Get".utf8)
        let head = Array("{\"v\":1,\"kind\":\"query\",\"id\":\"\(id)\",\"type\":\"".utf8)
        let frame = head + type + Array("\",\"body\":{}}".utf8)
        return FuzzCase(category: .invalidUTF8, frames: [frame], id: id)
    }

    private mutating func truncated() -> FuzzCase {
        let data = chance(0.5) ? Array(validQuery().text.utf8) : hostileValues().frames[0]
        // A proper prefix of a JSON object is never a JSON value.
        return FuzzCase(category: .truncated, frames: [Array(data[0..<int(data.count)])])
    }

    private mutating func deepNesting() -> FuzzCase {
        // Deep, but under the size limit (a larger message would just be `too_large`).
        let depth = chance(0.7) ? 33 + int(200) : 1000 + int(120_000)
        let (open, close): (String, String) = chance(0.5) ? ("[", "]") : ("{\"a\":", "}")
        var inner = String(repeating: open, count: depth) + "1"
        if chance(0.8) { inner += String(repeating: close, count: depth) }
        let id = nextID()
        let text = envelope(kind: "query", id: id, type: pick(queryTypes), body: "{\"deep\":\(inner)}")
        return FuzzCase(category: .deepNesting, frames: [Array(text.utf8)], id: id)
    }

    private mutating func hugeNumbers() -> FuzzCase {
        let numbers = ["1e400", "-1e400", "1e-400", "123456789012345678901234567890", "-123456789012345678901234567890",
                       "9223372036854775808", "-9223372036854775809", "1" + String(repeating: "0", count: 5000),
                       "1e" + String(repeating: "9", count: 2000), "0." + String(repeating: "0", count: 3000) + "1e-400",
                       "18446744073709551616", "1.7976931348623157e309"]
        let number = pick(numbers)
        let id = nextID()
        let text: String
        switch int(3) {
        case 0: text = "{\"v\":\(number),\"kind\":\"query\",\"id\":\"\(id)\",\"type\":\"sys.Ping\",\"body\":{}}"
        case 1: text = envelope(kind: "query", id: id, type: listQuery, body: "{\"limit\":\(number)}")
        default:
            text = envelope(kind: "command", id: id, type: target == "saga" ? "saga.StartSaga" : "\(target).Fuzz",
                            body: "{\"type\":\"order\",\"context\":{\"user_id\":\"fz\",\"items\":[{\"item_id\":\"item1\",\"quantity\":\(number),\"price_cents\":100}]}}")
        }
        return FuzzCase(category: .hugeNumbers, frames: [Array(text.utf8)], id: id)
    }

    /// Values that break an identifier field (`null` only where the field is required: an
    /// optional member that is `null` counts as absent).
    private mutating func badIdentifier(optional: Bool = false) -> String {
        let value = pick(["\"\"", Self.quote(String(repeating: "a", count: 129 + int(2000))), "\"a b\"", "\"ü-order\"", "\"../../etc/passwd\\n\"",
              "\"x\\u0000y\"", "12", "null", "[\"x\"]", "{}", "true", "\"<script>\"", "\"a;DROP TABLE events\""])
        return optional && value == "null" ? "\"\"" : value
    }

    /// Values that break an integer field whose valid values lie strictly between `below` and
    /// `above` (as JSON text; `null` only where the field is required).
    private mutating func badInt(below: Int64, above: Int64, optional: Bool = false) -> String {
        let value = pick(["\(below)", "\(above)", "-1", "\(Int64.min)", "\(Int64.max)", "1.5", "1e30", "1e308", "-0.5", "\"3\"", "null",
                          "true", "[]", "{}", "9223372036854775808"])
        return optional && value == "null" ? "\(above)" : value
    }

    private mutating func badItems(priced: Bool) -> String {
        switch int(6) {
        case 0: return "[]"
        case 1: return "[" + (0..<(101 + int(100))).map { "{\"item_id\":\"item\($0)\",\"quantity\":1,\"price_cents\":100}" }
            .joined(separator: ",") + "]"
        case 2: return "[\(line(1)),\(line(1))]"
        case 3: return "[1,2,3]"
        case 4: return "\"item1\""
        default:
            let field = pick(priced ? ["quantity", "price_cents", "item_id"] : ["quantity", "item_id"])
            let value = field == "item_id" ? badIdentifier()
                : field == "quantity" ? badInt(below: 0, above: 10_001) : badInt(below: 0, above: 100_000_001)
            var members = ["\"item_id\":\"item1\"", "\"quantity\":2", "\"price_cents\":500"]
            members.removeAll { $0.hasPrefix("\"\(field)\"") }
            members.append("\"\(field)\":\(value)")
            return "[{" + members.joined(separator: ",") + "}]"
        }
    }

    /// A command of the target whose body breaks exactly one validated field, or a query with a
    /// bad argument; the `summary` names the type and the field.
    private mutating func hostileValues() -> FuzzCase {
        let id = nextID()
        let order = Self.quote(nextID())
        var type: String, field: String, body: String
        switch target {
        case "saga":
            switch int(6) {
            case 0:
                (type, field) = ("saga.StartSaga", "context.items")
                body = "{\"type\":\"order\",\"context\":{\"user_id\":\"fz\",\"items\":\(badItems(priced: true))}}"
            case 1:
                (type, field) = ("saga.StartSaga", "context.user_id")
                body = "{\"type\":\"order\",\"context\":{\"user_id\":\(badIdentifier()),\"items\":[\(line(1))]}}"
            case 2:
                (type, field) = ("saga.StartSaga", "type")
                body = "{\"type\":\(pick(["\"nope\"", "\"\"", "7", Self.quote(String(repeating: "t", count: 65))])),\"context\":{\"user_id\":\"fz\",\"items\":[\(line(1))]}}"
            case 3:
                (type, field) = ("saga.StartSaga", "saga_id")
                body = "{\"type\":\"order\",\"saga_id\":\(badIdentifier(optional: true)),\"context\":{\"user_id\":\"fz\",\"items\":[\(line(2))]}}"
            case 4:
                (type, field) = ("saga.RetrySaga", "saga_id")
                body = "{\"saga_id\":\(badIdentifier())}"
            default:
                (type, field) = ("saga.StartSaga", "context")
                body = "{\"type\":\"order\",\"context\":\(pick(["[]", "\"x\"", "null", "{}", "{\"items\":[]}"]))}"
            }
        case "order":
            switch int(3) {
            case 0:
                (type, field) = ("order.CreateOrder", "items")
                body = "{\"order_id\":\(order),\"user_id\":\"fz\",\"items\":\(badItems(priced: true))}"
            case 1:
                (type, field) = ("order.CreateOrder", "user_id")
                body = "{\"order_id\":\(order),\"user_id\":\(badIdentifier()),\"items\":[\(line(1))]}"
            default:
                (type, field) = (pick(["order.CancelOrder", "order.ConfirmOrder", "order.CreateOrder"]), "order_id")
                body = "{\"order_id\":\(badIdentifier()),\"user_id\":\"fz\",\"items\":[\(line(1))]}"
            }
        case "inventory":
            switch int(3) {
            case 0:
                (type, field) = ("inventory.ReserveInventory", "items")
                body = "{\"order_id\":\(order),\"items\":\(badItems(priced: false))}"
            case 1:
                (type, field) = ("inventory.AddStock", "quantity")
                body = "{\"item_id\":\"item1\",\"quantity\":\(badInt(below: 0, above: 1_000_000_001))}"
            default:
                (type, field) = (pick(["inventory.ReleaseReservation", "inventory.CommitReservation", "inventory.ReserveInventory"]), "order_id")
                body = "{\"order_id\":\(badIdentifier()),\"items\":[\(line(1))]}"
            }
        case "payment":
            switch int(3) {
            case 0:
                (type, field) = ("payment.ChargePayment", "amount_cents")
                body = "{\"order_id\":\(order),\"user_id\":\"fz\",\"amount_cents\":\(badInt(below: 0, above: 100_000_000_000_001))}"
            case 1:
                (type, field) = ("payment.ChargePayment", "user_id")
                body = "{\"order_id\":\(order),\"user_id\":\(badIdentifier()),\"amount_cents\":100}"
            default:
                (type, field) = (pick(["payment.ChargePayment", "payment.RefundPayment"]), "order_id")
                body = "{\"order_id\":\(badIdentifier()),\"user_id\":\"fz\",\"amount_cents\":100}"
            }
        case "shipping":
            if chance(0.5) {
                (type, field) = ("shipping.CreateShipment", "user_id")
                body = "{\"order_id\":\(order),\"user_id\":\(badIdentifier())}"
            } else {
                (type, field) = (pick(["shipping.CreateShipment", "shipping.CancelShipment"]), "order_id")
                body = "{\"order_id\":\(badIdentifier()),\"user_id\":\"fz\"}"
            }
        default:
            (type, field) = (pick(["monitor.GetOrder", "monitor.Timeline", "monitor.OrdersByUser"]), "id")
            body = "{\"order_id\":\(badIdentifier()),\"saga_id\":\(badIdentifier()),\"user_id\":\(badIdentifier())}"
        }
        // Every process also answers the system messages: hostile arguments to those too.
        var kind = type.hasPrefix("monitor.") ? "query" : "command"
        switch int(5) {
        case 0:
            (kind, type, field) = ("command", "sys.SetFault", "spec")
            let spec = pick(["\"crash=nowhere\"", "\"decline=7\"", "\"delay=-3ms\"", "\"bogus\"", "12", "null", Self.quote(String(repeating: "x", count: 5000))])
            body = "{\"spec\":\(spec)}"
        case 1:
            (kind, type, field) = ("query", "sys.Replay", "from/limit")
            body = chance(0.5) ? "{\"from\":\(pick(["0", "-7", "\(Int64.min)", "1.5", "\"1\"", "null", "1e400", "[]"]))}"
                : "{\"from\":1,\"limit\":\(badInt(below: 0, above: 1001, optional: true))}"
        case 2:
            (kind, type, field) = ("query", listQuery, "limit")
            body = "{\"limit\":\(badInt(below: 0, above: 1001, optional: true))}"
        default: break
        }
        let text = envelope(kind: kind, id: id, type: type, body: body)
        return FuzzCase(category: .hostileValues, frames: [Array(text.utf8)], id: id, summary: "\(type) \(field): \(body.prefix(160))")
    }

    private mutating func badEnvelope() -> FuzzCase {
        let id = nextID()
        let type = pick(queryTypes)
        let text: String
        switch int(12) {
        case 0: text = "{\"v\":\(pick(["0", "2", "\"1\"", "null", "-1", "1.5"])),\"kind\":\"query\",\"id\":\"\(id)\",\"type\":\"\(type)\"}"
        case 1: text = "{\"kind\":\"query\",\"id\":\"\(id)\",\"type\":\"\(type)\"}"
        case 2: text = "{\"v\":1,\"kind\":\(pick(["\"event\"", "\"reply\"", "\"result\"", "\"error\"", "\"heartbeat\"", "\"bogus\"", "7", "null"])),\"id\":\"\(id)\",\"type\":\"\(type)\"}"
        case 3: text = "{\"v\":1,\"kind\":\"query\",\"id\":\(badIdentifier()),\"type\":\"\(type)\"}"
        case 4: text = "{\"v\":1,\"kind\":\"query\",\"id\":\"\(id)\",\"type\":\(pick(["\"\"", "7", "null", "\"nope.Nope\"", Self.quote(String(repeating: "t", count: 200))]))}"
        case 5: text = "{\"v\":1,\"kind\":\"query\",\"id\":\"\(id)\",\"type\":\"\(type)\",\"body\":\(pick(["[]", "\"x\"", "7", "true"]))}"
        case 6: text = pick(["[]", "\"query\"", "7", "null", "true", "[{\"v\":1}]", "{}", "{\"v\":1}"])
        case 7: text = "{\"v\":1,\"kind\":\"command\",\"id\":\"\(id)\",\"type\":\"\(target).Explode\",\"body\":{}}"
        case 8:  // duplicate member names, the later a bad kind
            text = "{\"v\":1,\"kind\":\"query\",\"kind\":\"bogus\",\"id\":\"\(id)\",\"type\":\"\(type)\"}"
        case 9: text = "{\"v\":1,\"kind\":\"query\",\"id\":\"\(id)\",\"type\":\"\(type)\",\"body\":{}}garbage"
        case 10:  // an event or reply sent to a ROUTER
            text = "{\"v\":1,\"kind\":\"event\",\"source\":\"\(target)\",\"seq\":1,\"stream\":\"x\",\"version\":1,\"type\":\"OrderCreated\",\"data\":{},\"meta\":{\"time_ms\":0}}"
        default: text = "{\"v\":1,\"kind\":\"reply\",\"in_reply_to\":\"\(id)\",\"outcome\":\"ok\",\"body\":{}}"
        }
        return FuzzCase(category: .badEnvelope, frames: [Array(text.utf8)], id: id)
    }

    private mutating func oversized() -> FuzzCase {
        let id = nextID()
        let far = chance(0.3)
        let size = far ? Self.transportMaxBytes + 1 + int(1 << 20) : Self.maxBytes + 1 + int(4000)
        let head = "{\"v\":1,\"kind\":\"query\",\"id\":\"\(id)\",\"type\":\"sys.Ping\",\"body\":{\"pad\":\""
        let tail = "\"}}"
        let pad = max(0, size - head.utf8.count - tail.utf8.count)
        let frame = Array(head.utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: pad) + Array(tail.utf8)
        return FuzzCase(category: .oversized, frames: [frame], expectsReply: !far, id: id,
                        summary: far ? "over libzmq's frame limit" : "over the envelope limit")
    }
}

extension String {
    /// A hash that is the same in every run (Swift's `hashValue` is seeded per process).
    var hashValueStable: UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }
}
