import Foundation

/// The clocks a host reads: monotonic time for its timers and durations, wall-clock time for
/// what it records. Hosts take one as a parameter, so tests and the simulation run them on
/// virtual time.
package protocol HostClock: Sendable {
    /// Monotonic milliseconds (timers, timeouts, durations).
    func monotonicMs() -> Int64
    /// Milliseconds since the Unix epoch (event times).
    func wallClockMs() -> Int64
}

/// The machine's clocks.
package struct SystemClock: HostClock {
    package init() {}
    package func monotonicMs() -> Int64 { HostCore.monotonicMs() }
    package func wallClockMs() -> Int64 { HostCore.wallClockMs() }
}

/// Wall-clock time in milliseconds since the Unix epoch (the shell's clock; cores get it passed in).
public func wallClockMs() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded())
}

/// Monotonic time in milliseconds, for timers and durations.
public func monotonicMs() -> Int64 {
    Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000)
}
