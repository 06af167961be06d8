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
    package func monotonicMs() -> Int64 { ServiceKit.monotonicMs() }
    package func wallClockMs() -> Int64 { ServiceKit.wallClockMs() }
}
