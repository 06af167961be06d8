import SagaCore
import HeapModule

/// Timers of the orchestrator's reactor, ordered by due time (monotonic milliseconds).
struct TimerQueue<Payload> {
    private struct Entry: Comparable {
        let due: Int64
        let order: UInt64
        let payload: Payload
        static func < (a: Entry, b: Entry) -> Bool { (a.due, a.order) < (b.due, b.order) }
        static func == (a: Entry, b: Entry) -> Bool { a.due == b.due && a.order == b.order }
    }

    private var heap = Heap<Entry>()
    private var counter: UInt64 = 0

    var count: Int { heap.count }

    /// Schedules `payload` at `due`.
    mutating func schedule(at due: Int64, _ payload: Payload) {
        counter += 1
        heap.insert(Entry(due: due, order: counter, payload: payload))
    }

    /// When the next timer is due, if any.
    var nextDue: Int64? { heap.min?.due }

    /// Removes and returns every timer due at or before `now`, in order.
    mutating func popDue(_ now: Int64) -> [Payload] {
        var due: [Payload] = []
        while let first = heap.min, first.due <= now {
            due.append(heap.removeMin().payload)
        }
        return due
    }
}
