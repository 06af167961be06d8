import SagaWire
import ServiceModel
import Testing
@testable import Monitor

@Suite struct SagaRetirementTests {
    /// A batch cut inside a run of equal times: the order views of a and b, the saga row of a
    /// only. Both sagas go whole, each once; the next batch finds nothing of them left.
    @Test func aBatchCutBetweenASagasTwoRowsTakesTheSagaWhole() {
        let rows: [(table: String, key: String, document: JSON)] = [
            ("orders", "order-a", ["order_id": "order-a", "saga_id": "a"]),
            ("orders", "order-b", ["order_id": "order-b", "saga_id": "b"]),
            ("sagas", "a", ["saga_id": "a", "order_id": "order-a"]),
        ]
        let batch = SagaRetirement(rows: rows)
        #expect(batch.sagaIDs == ["a", "b"])
        #expect(batch.orderIDs == ["order-a", "order-b"])
        #expect(batch.writes == [.delete(table: "sagas", key: "a"), .delete(table: "orders", key: "order-a"),
                                 .delete(table: "sagas", key: "b"), .delete(table: "orders", key: "order-b")])
    }

    /// A saga of a type with no order has only its saga row; a row whose document lacks its own
    /// id still has its key.
    @Test func aSagaWithoutAnOrderIsItsRowAlone() {
        let batch = SagaRetirement(rows: [("sagas", "t1", ["saga_id": "t1"]), ("sagas", "t2", [:])])
        #expect(batch.sagaIDs == ["t1", "t2"] && batch.orderIDs.isEmpty)
        #expect(batch.writes == [.delete(table: "sagas", key: "t1"), .delete(table: "sagas", key: "t2")])
    }
}
