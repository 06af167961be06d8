import SagaCore
import SagaEngine
import SagaWire

/// A participant service for the simulation and the embedded tests, keeping the contract every
/// ZSaga participant keeps, in memory:
///
/// - a command id seen again gets its recorded reply and changes nothing;
/// - an action takes effect once, unless its step was compensated first (fenced): then it is
///   refused `aborted`;
/// - a compensation undoes its action's effect, or fences the step when the action never came;
/// - every outcome is an event in its log (sequence numbers 1, 2, 3, …), published for the
///   orchestrator's stream: an action's ok or rejected event, as the saga definition names them.
///
/// It also records which command ids took effect per saga step, so a checker can tell whether
/// every effect of a compensated saga was undone or fenced, and whether anything took effect
/// twice.
package final class SimulatedParticipant {
    /// A saga step at this service.
    package struct StepKey: Hashable, Sendable, Comparable {
        package var sagaID: String
        package var step: Int
        package init(sagaID: String, step: Int) {
            self.sagaID = sagaID
            self.step = step
        }
        package static func < (a: StepKey, b: StepKey) -> Bool { (a.sagaID, a.step) < (b.sagaID, b.step) }
    }

    /// What became of one saga step here.
    package struct StepRecord: Sendable, Equatable {
        /// The command ids whose action took effect (more than one is a violation).
        package var appliedBy: [String] = []
        /// Compensations that undid the effect.
        package var undoneBy: [String] = []
        /// Whether a compensation came before any action: later actions are refused.
        package var fenced = false
        package init() {}
        /// Whether the step's effect is in force.
        package var isLive: Bool { appliedBy.count > undoneBy.count }
    }

    /// The service's name.
    package let name: String
    private let definitions: [SagaDefinition]
    /// Recorded replies by command id.
    private var replies: [String: Reply] = [:]
    /// Per saga step: what took effect.
    package private(set) var steps: [StepKey: StepRecord] = [:]
    /// Completion actions that took effect, by command id.
    package private(set) var completions: [String: Int] = [:]
    /// The log: every outcome as an event, in sequence order.
    package private(set) var log: [Event] = []
    /// Actions a business rule refuses, by probability (from the simulation's random source).
    package var rejectionRate = 0.0
    /// Commands refused for a bad request (neither an action, a compensation nor a completion).
    package private(set) var refused = 0
    private var versions: [String: Int64] = [:]

    package init(name: String, definitions: [SagaDefinition]) {
        self.name = name
        self.definitions = definitions
    }

    /// The sequence number of the last event.
    package var head: Int64 { Int64(log.count) }

    /// Processes one command: its reply, and the events it appended (to publish). `unit` is a
    /// uniform random number in [0, 1) that decides a business rejection.
    package func process(_ command: Command, now: Int64, unit: Double) -> (reply: WireMessage, events: [Event]) {
        if let recorded = replies[command.id] { return (.reply(recorded), []) }
        guard let id = SagaCommandID(parsing: command.id), let located = locate(command, id) else {
            refused += 1
            return (.error(ErrorReply(inReplyTo: command.id, code: .unknownType, message: "\(name) does not handle \(command.type)")), [])
        }
        let reply: Reply
        var events: [Event] = []
        switch id.role {
        case .action(let step):
            let key = StepKey(sagaID: id.sagaID, step: step)
            let definition = located.graph.nodes[step].step
            if steps[key]?.fenced == true {
                reply = Reply(inReplyTo: command.id, outcome: .rejected, reason: "aborted",
                              message: "the step was compensated before its action arrived")
            } else if let rejected = definition.rejectedEvents.first, unit < rejectionRate {
                reply = Reply(inReplyTo: command.id, outcome: .rejected, reason: "refused", message: "refused by \(name)")
                events.append(append(rejected, command, id, now, ["reason": "refused", "message": .string("refused by \(name)")]))
            } else {
                steps[key, default: StepRecord()].appliedBy.append(command.id)
                reply = Reply(inReplyTo: command.id, outcome: .ok)
                if let ok = definition.okEvents.first { events.append(append(ok, command, id, now, [:])) }
            }
        case .compensation(let step):
            let key = StepKey(sagaID: id.sagaID, step: step)
            var record = steps[key, default: StepRecord()]
            if record.isLive {
                record.undoneBy.append(command.id)
            } else if record.appliedBy.isEmpty {
                record.fenced = true
            }
            steps[key] = record
            reply = Reply(inReplyTo: command.id, outcome: .ok)
            events.append(append("\(located.graph.nodes[step].step.compensation ?? "Compensation")Done", command, id, now, [:]))
        case .completion:
            completions[command.id, default: 0] += 1
            reply = Reply(inReplyTo: command.id, outcome: .ok)
            events.append(append("CompletionDone", command, id, now, [:]))
        }
        let withEvents = Reply(inReplyTo: reply.inReplyTo, outcome: reply.outcome, reason: reply.reason, message: reply.message,
                               body: reply.body, events: events.map(\.seq))
        replies[command.id] = withEvents
        return (.reply(withEvents), events)
    }

    /// The events from `seq` on (a replay).
    package func events(from seq: Int64) -> ArraySlice<Event> {
        let start = Int(max(seq, 1)) - 1
        return start < log.count ? log[start...] : []
    }

    /// The definition whose command this is, when the command's type names a step of this
    /// service for its role.
    private func locate(_ command: Command, _ id: SagaCommandID) -> SagaDefinition? {
        definitions.first { definition in
            switch id.role {
            case .action(let index):
                guard let step = definition.graph.node(index)?.step else { return false }
                return step.service == name && command.type == "\(name).\(step.action)"
            case .compensation(let index):
                guard let step = definition.graph.node(index)?.step else { return false }
                return step.service == name && step.compensation.map { command.type == "\(name).\($0)" } == true
            case .completion(let index):
                guard definition.graph.completions.indices.contains(index) else { return false }
                let completion = definition.graph.completions[index]
                return completion.service == name && command.type == "\(name).\(completion.action)"
            }
        }
    }

    private func append(_ type: String, _ command: Command, _ id: SagaCommandID, _ now: Int64, _ data: JSONObject) -> Event {
        var data = data
        data["saga_id"] = .string(id.sagaID)
        let stream = "\(name)-\(id.sagaID)"
        versions[stream, default: 0] += 1
        let event = Event(seq: head + 1, stream: stream, version: versions[stream]!, type: type, data: .object(data),
                          metadata: EventMetadata(correlationID: id.sagaID, causationID: command.id, service: name, timeMs: now))
        log.append(event)
        return event
    }
}
