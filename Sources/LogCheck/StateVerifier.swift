import Domain
import EventLog
import SagaCore
import HostCore

/// `zsaga-log verify`'s fold: the built-in processes' cores by service name, each verified with
/// ``StateVerification`` (a strict fold from the first event, compared with the snapshots and
/// the read side).
public enum StateVerifier {
    /// The state a process of `service` folds, or `nil` for a service it has no core for.
    public static func verify(_ log: EventLog) throws -> StateVerification.Report? {
        switch log.service {
        case "order": return try StateVerification.verify(log, OrderCore(cacheCapacity: 1_000))
        case "inventory": return try StateVerification.verify(log, InventoryCore(initialStock: [:], cacheCapacity: 1_000))
        case "payment": return try StateVerification.verify(log, PaymentCore(cacheCapacity: 1_000))
        case "shipping": return try StateVerification.verify(log, ShippingCore(cacheCapacity: 1_000))
        case "saga": return try StateVerification.verify(log, SagaBook())
        default: return nil
        }
    }
}
