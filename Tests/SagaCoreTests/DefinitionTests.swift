import BuiltInSagas
import Domain
import SagaWire
import Testing
@testable import SagaCore

@Suite struct DefinitionTests {
    @Test func theBuiltInOrderSagaRoundTripsThroughItsJSON() throws {
        let parsed = try SagaDefinition.parse(SagaDefinition.order.json, path: "definition")
        // The registered form leaves out the stock service (a setting of the check before a start).
        #expect(parsed.asking(stockService: "inventory") == SagaDefinition.order)
        #expect(parsed.fingerprint == SagaDefinition.order.fingerprint)
        #expect(SagaDefinition.order.steps.map(\.name) == ["create_order", "reserve_inventory", "process_payment", "create_shipment"])
    }

    @Test func aDefinitionsFileAddsTypesWithPerStepPolicies() throws {
        let text = """
            [{"type": "transfer", "retry": {"timeout_ms": 500, "max_attempts": 2},
              "steps": [
                {"name": "debit", "service": "ledger", "action": "Debit", "compensation": "Credit",
                 "retry": {"max_attempts": 7}, "ok_events": ["Debited"], "rejected_events": ["DebitRefused"]},
                {"name": "notify", "service": "mail", "action": "Send"}],
              "compensation_retry": {"max_attempts": 3, "backoff_ms": 10, "max_backoff_ms": 20}}]
            """
        let definitions = try SagaDefinition.parseFile(Array(text.utf8))
        let transfer = try #require(definitions.first)
        #expect(transfer.steps[0].retry.maxAttempts == 7)
        #expect(transfer.steps[0].retry.timeoutMs == 500)
        #expect(transfer.steps[1].retry.maxAttempts == 2)
        #expect(transfer.steps[1].compensation == nil)
        #expect(transfer.compensationRetry.maxAttempts == 3)
        #expect(transfer.context == .any)
        #expect(transfer.fingerprint != SagaDefinition.order.fingerprint)
    }

    /// A bad definition is refused with a message naming the field.
    @Test(arguments: [
        (#"{"steps": []}"#, "definition.type"),
        (#"{"type": "t", "steps": []}"#, "definition.steps"),
        (#"{"type": "t", "steps": [{"name": "a", "action": "A"}]}"#, "definition.steps[0].service"),
        (#"{"type": "t", "steps": [{"name": "a", "service": "s", "action": "A"}, {"name": "a", "service": "s", "action": "B"}]}"#, "definition.steps[1].name"),
        (#"{"type": "t", "steps": [{"name": "a", "service": "s", "action": "A", "retry": {"max_attempts": 0}}]}"#, "definition.steps[0].retry.max_attempts"),
        (#"{"type": "t", "steps": [{"name": "a", "service": "s", "action": "A", "retry": {"backoff_ms": 50, "max_backoff_ms": 10}}]}"#, "definition.steps[0].retry.max_backoff_ms"),
        (#"{"type": "t", "context": "xml", "steps": [{"name": "a", "service": "s", "action": "A"}]}"#, "definition.context"),
        (#"{"type": "t", "steps": [{"name": "a", "service": "s", "action": "A", "ok_events": [3]}]}"#, "definition.steps[0].ok_events[0]"),
        (#"[{"type": "t", "steps": [{"name": "a", "service": "s", "action": "A"}]}, {"type": "t", "steps": [{"name": "a", "service": "s", "action": "A"}]}]"#, "definitions[1].type"),
        (#"7"#, "definitions"),
    ])
    func badDefinitionsNameTheField(_ text: String, _ field: String) {
        do {
            _ = try SagaDefinition.parseFile(Array(text.utf8))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.field == field)
        }
    }

    @Test func theOrderContextIsValidatedAndNormalized() throws {
        let context = try SagaDefinition.order.validateContext(
            ["user_id": "u1", "items": [["item_id": "item1", "quantity": 3, "price_cents": 250]]], sagaID: "s9")
        #expect(context["order_id"] == "s9")
        #expect(context["amount_cents"] == 750)
        do {
            _ = try SagaDefinition.order.validateContext(["user_id": "u1", "items": [["item_id": "item1", "quantity": 3]]], sagaID: "s")
            Issue.record("a context without prices was accepted")
        } catch {
            #expect(error.field == "body.context.items[0].price_cents")
        }
        let huge = JSON.object(["blob": .string(String(repeating: "x", count: 70_000))])
        let any = SagaDefinition(type: "blob", context: .any, steps: SagaDefinition.order.steps, onComplete: [],
                                 compensationRetry: .compensationDefault)
        #expect(throws: WireError.self) { try any.validateContext(huge, sagaID: "s") }
        #expect(any.fingerprint != SagaDefinition.order.fingerprint)
    }
}
