import Dispatch
import SagaWire

/// Counters of a process's group commits, for `sys.Ping` and the benchmark.
public struct CommitStats: Sendable {
    /// Transactions committed.
    public private(set) var commits = 0
    /// Units (a command with its events, a saga move) in them.
    public private(set) var units = 0
    /// Events appended.
    public private(set) var events = 0
    /// Time spent committing, in microseconds.
    public private(set) var micros: Int64 = 0
    /// The largest batch.
    public private(set) var largest = 0

    public init() {}

    /// Notes one commit of `units` units and `events` events that took `micros` µs.
    public mutating func record(units: Int, events: Int, micros: Int64) {
        commits += 1
        self.units += units
        self.events += events
        self.micros += micros
        largest = max(largest, units)
    }

    public var json: JSON {
        ["commits": .int(Int64(commits)), "units": .int(Int64(units)), "events": .int(Int64(events)),
         "commit_us": .int(micros), "largest_batch": .int(Int64(largest)),
         "mean_batch": .double(commits > 0 ? Double(units) / Double(commits) : 0)]
    }
}

/// Monotonic time in microseconds.
public func monotonicMicros() -> Int64 {
    Int64(DispatchTime.now().uptimeNanoseconds / 1000)
}
