@testable import LogCheck
import Testing

/// The invariants every saga type keeps, checked from the orchestrator's log alone: a
/// compensated saga undid every step that may have taken effect, each once, last first.
@Suite struct GenericInvariantTests {
    func saga(_ claims: [(SagaRecord.Claim.Kind, String, Int?)], compensable: Set<Int> = [0, 1, 2]) -> SagaRecord {
        var record = SagaRecord(id: "s", type: "any", orderID: nil, amountCents: 0, status: .compensated, startedMs: 0)
        record.compensable = compensable
        record.claims = claims.map { kind, id, from in
            var claim = SagaRecord.Claim(kind: kind, commandID: id, service: "x")
            claim.compensateFrom = from
            return claim
        }
        return record
    }

    func violations(_ record: SagaRecord) -> [String] {
        var checks = Checks(sagas: ["s": record], facts: [:], scans: [:], commands: [:], stock: nil)
        checks.compensatedInReverse()
        return checks.found.map(\.check)
    }

    @Test func aCompensatedSagaUndoesWhatMayHaveTakenEffectOnceLastFirst() {
        // Step 2 rejected: steps 1 and 0 are compensated, in that order.
        let good: [(SagaRecord.Claim.Kind, String, Int?)] = [
            (.succeeded, "s/0/action", nil), (.succeeded, "s/1/action", nil), (.failed, "s/2/action", 1),
            (.compensated, "s/1/compensation", nil), (.compensated, "s/0/compensation", nil),
        ]
        #expect(violations(saga(good)).isEmpty)
        // Step 0 has no compensation: nothing is owed for it.
        #expect(violations(saga(Array(good.prefix(4)), compensable: [1, 2])).isEmpty)
        #expect(violations(saga(Array(good.prefix(4)))) == ["compensated_all"], "step 0 never undone")
        #expect(violations(saga(good + [(.compensated, "s/0/compensation/r1", nil)])) == ["compensated_once"])
        #expect(violations(saga([good[0], good[1], good[2], good[4], good[3]])) == ["compensated_in_reverse"])
        // A step that ran out of attempts may have applied: it is compensated too (compensate_from 2).
        let exhausted: [(SagaRecord.Claim.Kind, String, Int?)] = [
            (.succeeded, "s/0/action", nil), (.failed, "s/1/action", 1), (.compensated, "s/0/compensation", nil),
        ]
        #expect(violations(saga(exhausted)) == ["compensated_all"])
        #expect(violations(saga([exhausted[0], exhausted[1], (.compensated, "s/1/compensation", nil), exhausted[2]])).isEmpty)
        // A compensation of a step that cannot have run is reported too.
        #expect(violations(saga(good + [(.compensated, "s/2/compensation", nil)])).contains("compensated_all"))
    }
}
