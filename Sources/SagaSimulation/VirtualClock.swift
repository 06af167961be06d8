import HostCore

/// Virtual time for an engine under test: it moves only when the test or the simulation moves
/// it, so timeouts and backoffs take no real time and every run is repeatable.
package final class VirtualClock: HostClock {
    private let now: LockedValue<Int64>
    /// The wall clock is the monotonic one plus this (an arbitrary epoch).
    private let epoch: Int64 = 1_800_000_000_000

    package init(startMs: Int64 = 1_000) {
        now = LockedValue(startMs)
    }

    /// The current virtual time (monotonic ms).
    package var ms: Int64 { now.withLock { $0 } }

    /// Moves time forward by `ms` (never back).
    package func advance(by ms: Int64) {
        now.withLock { $0 += max(0, ms) }
    }

    /// Moves time forward to `ms`, if that is later.
    package func advance(to ms: Int64) {
        now.withLock { $0 = max($0, ms) }
    }

    package func monotonicMs() -> Int64 { ms }
    package func wallClockMs() -> Int64 { epoch + ms }
}
