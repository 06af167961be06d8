import SagaWire
import ServiceModel

/// A participant ZSaga has never heard of, built from ServiceKit alone: it awards an order's
/// buyer a point per 100 cents, and takes them back as the compensation. Named only in a
/// topology file and a saga definition (the system tests'), it needs no change anywhere else.
struct LoyaltyCore: ServiceCore {
    static let serviceName = "loyalty"
    static let commandTypes = ["loyalty.AwardPoints", "loyalty.RevokePoints"]
    static let queryTypes = ["loyalty.GetAward", "loyalty.Stats"]
    static let readModel = ReadModelSchema([ReadTable("awards", columns: ["status", "updated_ms"], indexes: [["status", "updated_ms"]])])
    static let retentionRules = [RetentionRule(table: "awards", settledStatuses: ["awarded", "revoked", "voided"], streamPrefix: "award-")]

    private var awards = AggregateCache<Award>(capacity: 20_000)

    func streams(for command: Command) throws(WireError) -> [String] {
        [Award.stream(try command.fields().identifier("order_id", maxBytes: 128))]
    }

    func decide(_ command: Command, now: Int64) throws(WireError) -> Decision {
        let body = try command.fields()
        let orderID = try body.identifier("order_id", maxBytes: 128)
        let stream = Award.stream(orderID)
        let existing = awards[stream]
        switch command.type {
        case "loyalty.AwardPoints":
            let userID = try body.identifier("user_id", maxBytes: 128)
            let points = try body.int("amount_cents", in: 0...1_000_000_000) / 100
            if let existing {
                return existing.status == .voided ? .rejected("aborted", "the points of order \(orderID) were revoked before they were awarded")
                    : .rejected("award_exists", "order \(orderID) has its points already")
            }
            return .ok(["order_id": .string(orderID), "points": .int(points)], [append(stream, at: 0, command.event(
                "PointsAwarded", ["order_id": .string(orderID), "user_id": .string(userID), "points": .int(points)], at: now))])
        case "loyalty.RevokePoints":
            guard let existing else {
                return .ok(["order_id": .string(orderID), "status": "voided"],
                           [append(stream, at: 0, command.event("PointsVoided", ["order_id": .string(orderID)], at: now))])
            }
            guard existing.status == .awarded else { return .ok(["order_id": .string(orderID), "status": .string(existing.status.rawValue)]) }
            return .ok(["order_id": .string(orderID), "status": "revoked"],
                       [append(stream, at: existing.version, command.event("PointsRevoked", ["order_id": .string(orderID)], at: now))])
        default:
            throw unknownType(command.type, service: Self.serviceName)
        }
    }

    func holds(_ stream: String) -> Bool { awards.holds(stream) }

    mutating func load(_ stream: String, events: [Event]) throws(DomainError) {
        var award: Award?
        for event in events { award = try Award.folding(award, event) }
        awards.put(stream, award)
    }

    mutating func apply(_ event: Event) throws(DomainError) -> [ReadWrite] {
        let old = awards[event.stream]
        let award = try Award.folding(old, event)
        awards.put(event.stream, award)
        var writes: [ReadWrite] = [.put(table: "awards", key: award.orderID,
                                        columns: ["status": .text(award.status.rawValue), "updated_ms": .int(award.updatedMs)],
                                        document: award.json)]
        if let old { writes.append(.count("awards.status.\(old.status.rawValue)", by: -1)) } else { writes.append(.count("awards.total", by: 1)) }
        writes.append(.count("awards.status.\(award.status.rawValue)", by: 1))
        let held = (award.status == .awarded ? award.points : 0) - (old?.status == .awarded ? old!.points : 0)
        if held != 0 { writes.append(.count("points.held", by: held)) }
        return writes
    }

    mutating func forget(_ stream: String) { awards.remove(stream) }

    var retirementFold: LoyaltyCore { LoyaltyCore() }

    func query(_ query: Query, reader: some ReadModelReader, now: Int64) throws(WireError) -> JSON {
        let body = try Fields(query.body, path: "body")
        switch query.type {
        case "loyalty.GetAward":
            let orderID = try body.identifier("order_id", maxBytes: 128)
            guard let award = try reader.document("awards", key: orderID) else {
                throw WireError(.notFound, "no award for order \(orderID)", field: "body.order_id")
            }
            return award
        default:
            let counters = try reader.counters(prefix: "")
            return ["awards": .int(counters["awards.total", default: 0]), "points_held": .int(counters["points.held", default: 0]),
                    "by_status": .object(JSONObject(Dictionary(uniqueKeysWithValues: Award.Status.allCases.map {
                        ($0.rawValue, JSON.int(counters["awards.status.\($0.rawValue)", default: 0]))
                    })))]
        }
    }

    func snapshot(stream: String) -> JSON? { nil }
    mutating func restore(stream: String, snapshot: JSON) throws(DomainError) {}
}
