import SagaWire

/// How one kind of command is retried: attempt timeout, attempts, exponential backoff with jitter.
public struct RetryPolicy: Sendable, Equatable {
    /// Milliseconds to wait for an attempt's outcome before it counts as timed out.
    public var timeoutMs: Int64
    /// Attempts in all (the first send included).
    public var maxAttempts: Int
    /// Delay before the second attempt.
    public var backoffMs: Int64
    /// Largest delay between attempts.
    public var maxBackoffMs: Int64
    /// Growth factor of the delay per attempt.
    public var multiplier: Double
    /// Spread of the delay: ±`jitter` of it, 0 to 1.
    public var jitter: Double

    public init(timeoutMs: Int64, maxAttempts: Int, backoffMs: Int64, maxBackoffMs: Int64, multiplier: Double = 2, jitter: Double = 0.2) {
        self.timeoutMs = timeoutMs
        self.maxAttempts = maxAttempts
        self.backoffMs = backoffMs
        self.maxBackoffMs = maxBackoffMs
        self.multiplier = multiplier
        self.jitter = jitter
    }

    /// The default for actions: 3 s per attempt, 4 attempts, 100 ms doubling to 2 s.
    public static let actionDefault = RetryPolicy(timeoutMs: 3000, maxAttempts: 4, backoffMs: 100, maxBackoffMs: 2000)
    /// The default for compensations and completion actions: 3 s per attempt, 30 attempts,
    /// 200 ms doubling to 5 s. Past that the saga is `stuck`.
    public static let compensationDefault = RetryPolicy(timeoutMs: 3000, maxAttempts: 30, backoffMs: 200, maxBackoffMs: 5000)

    /// The delay before attempt `attempt + 1`, after `attempt` attempts failed.
    ///
    /// - Parameter unit: a uniform random number in [0, 1), passed in so the core stays pure.
    public func delay(afterAttempt attempt: Int, unit: Double) -> Int64 {
        var base = Double(backoffMs)
        for _ in 1..<max(attempt, 1) {
            base *= multiplier
            if base >= Double(maxBackoffMs) { break }
        }
        base = min(base, Double(maxBackoffMs))
        let spread = base * jitter * (2 * min(max(unit, 0), 1) - 1)
        return max(0, Int64((base + spread).rounded()))
    }

    /// The policy as JSON, as written in a definition file.
    public var json: JSON {
        ["timeout_ms": .int(timeoutMs), "max_attempts": .int(Int64(maxAttempts)), "backoff_ms": .int(backoffMs),
         "max_backoff_ms": .int(maxBackoffMs), "multiplier": .double(multiplier), "jitter": .double(jitter)]
    }

    /// Reads a policy, each member optional, over `defaults`.
    static func parse(_ fields: Fields, over defaults: RetryPolicy) throws(WireError) -> RetryPolicy {
        var policy = defaults
        policy.timeoutMs = try fields.optionalInt("timeout_ms", in: 1...600_000) ?? defaults.timeoutMs
        policy.maxAttempts = Int(try fields.optionalInt("max_attempts", in: 1...1000) ?? Int64(defaults.maxAttempts))
        policy.backoffMs = try fields.optionalInt("backoff_ms", in: 0...600_000) ?? defaults.backoffMs
        policy.maxBackoffMs = try fields.optionalInt("max_backoff_ms", in: 0...3_600_000) ?? defaults.maxBackoffMs
        policy.multiplier = try fields.optionalDouble("multiplier", in: 1...10) ?? defaults.multiplier
        policy.jitter = try fields.optionalDouble("jitter", in: 0...1) ?? defaults.jitter
        guard policy.maxBackoffMs >= policy.backoffMs else {
            throw WireError(.invalidArgument, "must be at least backoff_ms (\(policy.backoffMs))", field: fields.path(of: "max_backoff_ms"))
        }
        return policy
    }
}
