import SagaWire

/// Turns one publisher's lossy PUB/SUB stream into a lossless one: every event delivered
/// once, in sequence order.
///
/// PUB/SUB drops messages while a subscriber connects and whenever a high-water mark fills,
/// silently. The cursor tracks the next sequence number it owes its consumer, drops
/// duplicates, detects gaps (a later sequence number, or a heartbeat whose head is ahead), and
/// asks for a replay from the publisher's log to fill them. It is pure: the caller sends the
/// replay requests (`sys.Replay`) and feeds back their answers.
public struct StreamCursor: Sendable, Equatable {
    /// What the caller should do after an input.
    public struct Step: Sendable, Equatable {
        /// Events to deliver now, in order.
        public var deliver: [Event] = []
        /// Ask the publisher to replay from this sequence number.
        public var replayFrom: Int64?
        public init() {}
    }

    /// The publishing service.
    public let source: String
    /// The next sequence number to deliver.
    public private(set) var next: Int64
    /// The highest sequence number known to exist.
    public private(set) var head: Int64 = 0
    /// Whether a replay request is outstanding.
    public private(set) var replaying = false
    /// Whether the cursor has a position yet (a new consumer takes the first one it hears of).
    public private(set) var anchored: Bool
    private var requestedAt: Int64 = 0
    /// Milliseconds after which an unanswered replay request is given up and re-sent.
    public var replayTimeoutMs: Int64 = 3000
    /// Duplicates dropped.
    public private(set) var duplicates = 0
    /// Gaps found.
    public private(set) var gaps = 0
    /// Events delivered from replays (rather than live).
    public private(set) var replayed = 0
    /// Sequence numbers skipped because the publisher's retention removed them.
    public private(set) var skipped = 0
    /// When the last heartbeat arrived (the caller's clock), 0 before any.
    public private(set) var lastHeartbeat: Int64 = 0

    /// A cursor that has delivered everything up to `position` (`nil`: a new consumer that
    /// starts with the publisher's next event, without its history).
    public init(source: String, after position: Int64?) {
        self.source = source
        next = (position ?? 0) + 1
        anchored = position != nil
    }

    /// The last sequence number delivered: what to save as the consumer's offset.
    public var position: Int64 { next - 1 }

    /// Whether the consumer has everything the publisher is known to have.
    public var isCaughtUp: Bool { next > head && !replaying }

    /// A live event from the SUB socket.
    public mutating func live(_ event: Event, now: Int64) -> Step {
        var step = Step()
        if !anchored {
            anchored = true
            next = event.seq
        }
        head = max(head, event.seq)
        if event.seq < next {
            duplicates += 1
        } else if event.seq == next {
            next += 1
            step.deliver = [event]
        } else {
            gaps += 1
            step.replayFrom = request(now)
        }
        return step
    }

    /// A heartbeat: the publisher's log ends at `head`.
    public mutating func heartbeat(head: Int64, now: Int64) -> Step {
        var step = Step()
        lastHeartbeat = now
        if !anchored {
            anchored = true
            next = head + 1
        }
        self.head = max(self.head, head)
        if head >= next {
            gaps += 1
            step.replayFrom = request(now)
        }
        return step
    }

    /// The answer to a replay request: events from the requested sequence number, in order, and
    /// the ranges of sequence numbers the publisher's retention removed (skipped, never asked
    /// for again).
    public mutating func replayed(_ events: [Event], head: Int64, retired: [ClosedRange<Int64>] = [], now: Int64) -> Step {
        var step = Step()
        replaying = false
        self.head = max(self.head, head)
        func skipRetired() {
            while let range = retired.first(where: { $0.contains(next) }) {
                skipped += Int(range.upperBound - next + 1)
                next = range.upperBound + 1
            }
        }
        skipRetired()
        for event in events where event.seq >= next {
            skipRetired()
            guard event.seq == next else { break }
            next += 1
            replayed += 1
            step.deliver.append(event)
        }
        skipRetired()
        if next <= self.head { step.replayFrom = request(now) }
        return step
    }

    /// Asks for a replay from the next sequence number now, to learn the publisher's head and
    /// catch up without waiting for a heartbeat (a consumer that just started).
    public mutating func catchUp(now: Int64) -> Step {
        var step = Step()
        if anchored { step.replayFrom = request(now) }
        return step
    }

    /// The replay request failed (no answer, or an error); it will be retried.
    public mutating func replayFailed() {
        replaying = false
    }

    /// Periodic check: re-sends a replay request that got no answer, or one still needed.
    public mutating func tick(now: Int64) -> Step {
        var step = Step()
        if replaying && now - requestedAt >= replayTimeoutMs { replaying = false }
        if anchored && !replaying && next <= head { step.replayFrom = request(now) }
        return step
    }

    private mutating func request(_ now: Int64) -> Int64? {
        guard !replaying else { return nil }
        replaying = true
        requestedAt = now
        return next
    }
}
