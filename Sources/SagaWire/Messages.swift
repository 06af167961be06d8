/// The protocol version this build speaks; envelopes carry it as `v`.
public let protocolVersion: Int64 = 1

/// A request to change state. Its `id` is the idempotency key: a process that sees the same
/// command id again replies with the recorded outcome and changes nothing.
public struct Command: Sendable, Equatable {
    /// The command id, e.g. `saga-42/1/action`.
    public var id: String
    /// The command type, `<service>.<Name>`, e.g. `order.CreateOrder`.
    public var type: String
    /// The saga (or other business transaction) this command belongs to.
    public var correlationID: String?
    /// The message that caused this one.
    public var causationID: String?
    /// The command's arguments (an object).
    public var body: JSON
    /// The sender's span, which the receiver's continues (not part of what the command is: a
    /// retry may carry another without being a different command).
    public var traceParent: TraceParent?

    public init(id: String, type: String, correlationID: String? = nil, causationID: String? = nil, body: JSON = [:],
                traceParent: TraceParent? = nil) {
        self.id = id
        self.type = type
        self.correlationID = correlationID
        self.causationID = causationID
        self.body = body
        self.traceParent = traceParent
    }
}

/// How a processed command ended. Both outcomes are recorded and final.
public enum ReplyOutcome: String, Sendable, Equatable {
    /// The command took effect.
    case ok
    /// A business rule refused it (declined payment, insufficient stock, an aborted step).
    case rejected
}

/// The answer to a ``Command`` that was processed and recorded.
public struct Reply: Sendable, Equatable {
    /// The id of the command answered.
    public var inReplyTo: String
    /// Whether it took effect.
    public var outcome: ReplyOutcome
    /// For a rejection: a stable reason code such as `payment_declined`.
    public var reason: String?
    /// For a rejection: a message for people.
    public var message: String?
    /// Result data (an object), such as the ids the command created.
    public var body: JSON
    /// Sequence numbers of the events the command appended, in order.
    public var events: [Int64]

    public init(inReplyTo: String, outcome: ReplyOutcome, reason: String? = nil, message: String? = nil,
                body: JSON = [:], events: [Int64] = []) {
        self.inReplyTo = inReplyTo
        self.outcome = outcome
        self.reason = reason
        self.message = message
        self.body = body
        self.events = events
    }
}

/// A read-only request, answered with a ``QueryResult`` or an ``ErrorReply``.
public struct Query: Sendable, Equatable {
    /// The query id, echoed in the result.
    public var id: String
    /// The query type, `<service>.<Name>` or `sys.<Name>`, e.g. `order.GetOrder`, `sys.Ping`.
    public var type: String
    /// The query's arguments (an object).
    public var body: JSON
    /// The sender's span, which the receiver's continues.
    public var traceParent: TraceParent?

    public init(id: String, type: String, body: JSON = [:], traceParent: TraceParent? = nil) {
        self.id = id
        self.type = type
        self.body = body
        self.traceParent = traceParent
    }
}

/// The answer to a ``Query``.
public struct QueryResult: Sendable, Equatable {
    /// The id of the query answered.
    public var inReplyTo: String
    /// The result (an object).
    public var body: JSON

    public init(inReplyTo: String, body: JSON) {
        self.inReplyTo = inReplyTo
        self.body = body
    }
}

/// Who caused an event and when: carried with every event in logs and on the wire.
public struct EventMetadata: Sendable, Equatable {
    /// The saga id (or other business transaction id).
    public var correlationID: String?
    /// The id of the command that produced the event.
    public var causationID: String?
    /// The service whose log holds the event.
    public var service: String
    /// When it was recorded, in milliseconds since the Unix epoch.
    public var timeMs: Int64

    public init(correlationID: String? = nil, causationID: String? = nil, service: String, timeMs: Int64) {
        self.correlationID = correlationID
        self.causationID = causationID
        self.service = service
        self.timeMs = timeMs
    }
}

/// An event as recorded in a service's log and published to subscribers.
public struct Event: Sendable, Equatable {
    /// The global sequence number in the source's log: 1, 2, 3, … without gaps.
    public var seq: Int64
    /// The stream (aggregate) id, e.g. `order-7f3a`.
    public var stream: String
    /// The position of the event in its stream: 1, 2, 3, …
    public var version: Int64
    /// The event type, e.g. `OrderCreated`.
    public var type: String
    /// The event's data (an object).
    public var data: JSON
    /// Correlation, causation, service and time.
    public var metadata: EventMetadata

    public init(seq: Int64, stream: String, version: Int64, type: String, data: JSON, metadata: EventMetadata) {
        self.seq = seq
        self.stream = stream
        self.version = version
        self.type = type
        self.data = data
        self.metadata = metadata
    }

    /// The PUB/SUB topic: `<service>.<type>`.
    public var topic: String { "\(metadata.service).\(type)" }
}

/// A publisher's periodic "I am alive and my log ends here", so silence is told from loss.
public struct Heartbeat: Sendable, Equatable {
    /// The publishing service.
    public var source: String
    /// The sequence number of the last event in its log (0 when empty).
    public var head: Int64
    /// When it was sent, in milliseconds since the Unix epoch.
    public var timeMs: Int64

    public init(source: String, head: Int64, timeMs: Int64) {
        self.source = source
        self.head = head
        self.timeMs = timeMs
    }

    /// The PUB/SUB topic: `<service>.$heartbeat`.
    public var topic: String { "\(source).$heartbeat" }
}

/// A protocol-level refusal. Nothing was changed by the request it answers.
public struct ErrorReply: Sendable, Equatable {
    /// The id of the request refused, when it could be read.
    public var inReplyTo: String?
    /// The stable error code.
    public var code: ErrorCode
    /// A message for people.
    public var message: String
    /// The offending field, when one is to blame.
    public var field: String?

    public init(inReplyTo: String?, code: ErrorCode, message: String, field: String? = nil) {
        self.inReplyTo = inReplyTo
        self.code = code
        self.message = message
        self.field = field
    }

    /// An error reply for a ``WireError``.
    public init(inReplyTo: String?, _ error: WireError) {
        self.init(inReplyTo: inReplyTo, code: error.code, message: error.message, field: error.field)
    }
}

/// Every message of the protocol.
public enum WireMessage: Sendable, Equatable {
    case command(Command)
    case reply(Reply)
    case query(Query)
    case result(QueryResult)
    case event(Event)
    case heartbeat(Heartbeat)
    case error(ErrorReply)

    /// The envelope's `kind` value.
    public var kind: String {
        switch self {
        case .command: return "command"
        case .reply: return "reply"
        case .query: return "query"
        case .result: return "result"
        case .event: return "event"
        case .heartbeat: return "heartbeat"
        case .error: return "error"
        }
    }
}
