import SagaWire
import ServiceModel

/// The points one order earned (stream `award-<order_id>`).
struct Award: Sendable, Equatable {
    enum Status: String, Sendable, CaseIterable {
        /// Points awarded.
        case awarded
        /// Taken back by compensation.
        case revoked
        /// Revoked before they were awarded: a fence that refuses the late award.
        case voided
    }

    var orderID: String
    var userID: String
    var points: Int64
    var status: Status
    var version: Int64
    var updatedMs: Int64

    static func stream(_ orderID: String) -> String { "award-\(orderID)" }

    var json: JSON {
        ["order_id": .string(orderID), "user_id": .string(userID), "points": .int(points), "status": .string(status.rawValue),
         "version": .int(version), "updated_ms": .int(updatedMs)]
    }

    /// The award after `event`, strictly: an impossible event is a ``DomainError``.
    static func folding(_ award: Award?, _ event: Event) throws(DomainError) -> Award {
        func refuse(_ rule: String) -> DomainError { DomainError("\(event.stream) v\(event.version) \(event.type): \(rule)") }
        let data: Fields
        do { data = try Fields(event.data, path: "data") } catch { throw refuse(error.message) }
        let time = event.metadata.timeMs
        switch (event.type, award) {
        case ("PointsAwarded", nil):
            do {
                return Award(orderID: try data.string("order_id"), userID: try data.string("user_id"), points: try data.int("points"),
                             status: .awarded, version: event.version, updatedMs: time)
            } catch {
                throw refuse("\(error.field ?? ""): \(error.message)")
            }
        case ("PointsVoided", nil):
            return Award(orderID: (try? data.string("order_id")) ?? "", userID: "", points: 0, status: .voided, version: event.version,
                         updatedMs: time)
        case ("PointsRevoked", var award?) where award.status == .awarded:
            award.status = .revoked
            award.version = event.version
            award.updatedMs = time
            return award
        default:
            throw refuse("impossible after \(award?.status.rawValue ?? "nothing")")
        }
    }
}
