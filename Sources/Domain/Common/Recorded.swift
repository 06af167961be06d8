import SagaWire
import ServiceModel

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
