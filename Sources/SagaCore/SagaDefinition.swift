import ServiceModel
import SagaWire

/// One step of a saga: an action at a service and the compensation that undoes it.
public struct StepDefinition: Sendable, Equatable {
    /// The step's name, e.g. `process_payment`.
    public var name: String
    /// The service that runs it, e.g. `payment`.
    public var service: String
    /// The action's command name, e.g. `ChargePayment` (sent as `payment.ChargePayment`).
    public var action: String
    /// The compensation's command name, e.g. `RefundPayment`; `nil` when the step has none.
    public var compensation: String?
    /// How the action is retried.
    public var retry: RetryPolicy
    /// Event types whose publication means the action succeeded.
    public var okEvents: [String]
    /// Event types whose publication means a business rule refused the action.
    public var rejectedEvents: [String]
    /// Event types whose publication means the compensation succeeded (`compensation_ok_events`):
    /// a lost compensation reply then costs no timeout when the event arrives.
    public var compensationOkEvents: [String] = []
}

/// A finishing action sent, together with the others, after the last step succeeded.
public struct CompletionAction: Sendable, Equatable {
    public var name: String
    public var service: String
    public var action: String
}

/// How a saga type's context is checked before a saga starts.
public enum ContextRule: String, Sendable, Equatable {
    /// Any JSON object up to 64 KiB.
    case any
    /// An order: `user_id`, `items` with prices, optional `order_id` (defaults to the saga id);
    /// `amount_cents` is computed. The definition's `stock_service` names the service whose
    /// catalogue the items must be in.
    case order
}

/// A saga type: its steps, its finishing actions and its retry policies. Saga types are data.
public struct SagaDefinition: Sendable, Equatable {
    public let type: String
    public let context: ContextRule
    public let steps: [StepDefinition]
    public let onComplete: [CompletionAction]
    /// How compensations and completion actions are retried; past it the saga is `stuck`.
    public let compensationRetry: RetryPolicy
    /// A short stable fingerprint of the definition (FNV-1a of its canonical JSON), so a saga
    /// keeps the definition it started with across restarts and definition changes.
    public let fingerprint: String
    /// The definition compiled for the machine: its steps as nodes (by index in the file), and
    /// the completion group.
    public let graph: SagaGraph
    /// For the `order` context: the service whose items an order must name (`stock_service`;
    /// it answers `<service>.Stock` and publishes `StockInitialized`). A setting of the check
    /// made before a saga starts, so neither in the fingerprint nor in the registered form.
    public let stockService: String?

    public init(type: String, context: ContextRule, steps: [StepDefinition], onComplete: [CompletionAction],
                compensationRetry: RetryPolicy, stockService: String? = nil) {
        self.stockService = stockService
        self.type = type
        self.context = context
        self.steps = steps
        self.onComplete = onComplete
        self.compensationRetry = compensationRetry
        fingerprint = Self.fingerprint(of: Self.json(type: type, context: context, steps: steps, onComplete: onComplete,
                                                     compensationRetry: compensationRetry))
        graph = .chain(steps, completions: onComplete)
    }

    /// Every service the saga's commands go to.
    public var services: Set<String> { graph.services }

    /// The same definition asking `stockService` for its `order` context's items.
    public func asking(stockService: String) -> SagaDefinition {
        SagaDefinition(type: type, context: context, steps: steps, onComplete: onComplete, compensationRetry: compensationRetry,
                       stockService: stockService)
    }

    /// The definition as JSON, in the form of a definition file.
    public var json: JSON {
        Self.json(type: type, context: context, steps: steps, onComplete: onComplete, compensationRetry: compensationRetry)
    }

    private static func json(type: String, context: ContextRule, steps: [StepDefinition], onComplete: [CompletionAction],
                             compensationRetry: RetryPolicy) -> JSON {
        .object([
            "type": .string(type),
            "context": .string(context.rawValue),
            "steps": .array(steps.map { step in
                var members: [String: JSON] = [
                    "name": .string(step.name), "service": .string(step.service), "action": .string(step.action),
                    "retry": step.retry.json, "ok_events": .array(step.okEvents.map { .string($0) }),
                    "rejected_events": .array(step.rejectedEvents.map { .string($0) }),
                ]
                if let compensation = step.compensation { members["compensation"] = .string(compensation) }
                // Only when named: the definitions written before it keep their fingerprints.
                if !step.compensationOkEvents.isEmpty {
                    members["compensation_ok_events"] = .array(step.compensationOkEvents.map { .string($0) })
                }
                return .object(members)
            }),
            "on_complete": .array(onComplete.map {
                ["name": .string($0.name), "service": .string($0.service), "action": .string($0.action)]
            }),
            "compensation_retry": compensationRetry.json,
        ])
    }

    private static func fingerprint(of json: JSON) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in JSONWriter.canonical(json) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Reads a definition; errors are `invalid_argument` and name the field by its path.
    public static func parse(_ json: JSON, path: String) throws(WireError) -> SagaDefinition {
        let root = try Fields(json, path: path)
        let type = try root.identifier("type", maxBytes: 64)
        let contextText = try root.optionalString("context", maxBytes: 16) ?? "any"
        guard let context = ContextRule(rawValue: contextText) else {
            throw WireError(.invalidArgument, "must be \"any\" or \"order\"", field: root.path(of: "context"))
        }
        let stockService = try root.optionalIdentifier("stock_service", maxBytes: 32)
        if stockService != nil && context != .order {
            throw WireError(.invalidArgument, "only the order context asks a stock service", field: root.path(of: "stock_service"))
        }
        let defaults = try root.optionalObject("retry").map { f throws(WireError) in try RetryPolicy.parse(f, over: .actionDefault) }
            ?? .actionDefault
        let compensationRetry = try root.optionalObject("compensation_retry").map { f throws(WireError) in
            try RetryPolicy.parse(f, over: .compensationDefault)
        } ?? .compensationDefault
        var steps: [StepDefinition] = []
        var names: Set<String> = []
        for step in try root.objects("steps", minCount: 1, maxCount: 32) {
            let name = try step.identifier("name", maxBytes: 64)
            guard names.insert(name).inserted else {
                throw WireError(.invalidArgument, "step name \(name) is used twice", field: step.path(of: "name"))
            }
            let retry = try step.optionalObject("retry").map { f throws(WireError) in try RetryPolicy.parse(f, over: defaults) } ?? defaults
            steps.append(StepDefinition(
                name: name,
                service: try step.identifier("service", maxBytes: 32),
                action: try step.identifier("action", maxBytes: 64),
                compensation: try step.optionalIdentifier("compensation", maxBytes: 64),
                retry: retry,
                okEvents: try eventList(step, "ok_events"),
                rejectedEvents: try eventList(step, "rejected_events"),
                compensationOkEvents: try eventList(step, "compensation_ok_events")))
            if steps.last!.compensation == nil && !steps.last!.compensationOkEvents.isEmpty {
                throw WireError(.invalidArgument, "a step without a compensation has no compensation events",
                                field: step.path(of: "compensation_ok_events"))
            }
        }
        var completions: [CompletionAction] = []
        if root.has("on_complete") {
            for action in try root.objects("on_complete", maxCount: 16) {
                let name = try action.identifier("name", maxBytes: 64)
                guard names.insert(name).inserted else {
                    throw WireError(.invalidArgument, "name \(name) is used twice", field: action.path(of: "name"))
                }
                completions.append(CompletionAction(name: name, service: try action.identifier("service", maxBytes: 32),
                                                    action: try action.identifier("action", maxBytes: 64)))
            }
        }
        return SagaDefinition(type: type, context: context, steps: steps, onComplete: completions,
                              compensationRetry: compensationRetry, stockService: stockService)
    }

    private static func eventList(_ fields: Fields, _ key: String) throws(WireError) -> [String] {
        guard fields.has(key) else { return [] }
        var names: [String] = []
        for element in try fields.array(key, maxCount: 16) {
            guard case .string(let name) = element.value, Fields.isIdentifier(name), name.utf8.count <= 64 else {
                throw WireError(.invalidArgument, "must be an event type name", field: element.path)
            }
            names.append(name)
        }
        return names
    }

    /// Reads a definitions file: a JSON array of definitions (or one definition object).
    public static func parseFile(_ bytes: [UInt8]) throws(WireError) -> [SagaDefinition] {
        let json: JSON
        do { json = try JSONParser.parse(bytes) } catch { throw WireError(.invalidArgument, error.description) }
        let elements: [(String, JSON)]
        switch json {
        case .array(let items): elements = items.enumerated().map { ("definitions[\($0.offset)]", $0.element) }
        case .object: elements = [("definition", json)]
        default: throw WireError(.invalidArgument, "must be an array of saga definitions", field: "definitions")
        }
        var definitions: [SagaDefinition] = []
        var types: Set<String> = []
        for (path, element) in elements {
            let definition = try parse(element, path: path)
            guard types.insert(definition.type).inserted else {
                throw WireError(.invalidArgument, "saga type \(definition.type) is defined twice", field: "\(path).type")
            }
            definitions.append(definition)
        }
        return definitions
    }

    /// Checks and normalizes a saga context by the definition's rule.
    public func validateContext(_ context: JSON, sagaID: String) throws(WireError) -> JSON {
        let size = JSONWriter.encode(context).count
        guard size <= 64 * 1024 else {
            throw WireError(.invalidArgument, "must be at most 64 KiB, got \(size) bytes", field: "body.context")
        }
        let fields = try Fields(context, path: "body.context")
        switch self.context {
        case .any:
            return context
        case .order:
            let orderID = try fields.optionalIdentifier("order_id", maxBytes: Limits.idBytes) ?? sagaID
            let userID = try fields.identifier("user_id", maxBytes: Limits.idBytes)
            let lines = try OrderLine.parse(fields, requirePrice: true)
            // Members in key order: the canonical form, cheap to hash.
            return ["amount_cents": .int(OrderLine.total(lines)), "items": .array(lines.map(\.json)),
                    "order_id": .string(orderID), "user_id": .string(userID)]
        }
    }
}
