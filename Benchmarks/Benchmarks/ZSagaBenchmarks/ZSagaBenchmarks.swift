import Benchmark
import EventLog
import Foundation
import Orchestration
import SagaWire

/// A command as the orchestrator sends it: the order context plus the saga id.
let command = WireMessage.command(Command(
    id: "run7-1234/2/action", type: "payment.ChargePayment", correlationID: "run7-1234", causationID: "run7-1234",
    body: ["saga_id": "run7-1234", "order_id": "run7-1234", "user_id": "user-34", "amount_cents": 4250,
           "items": [["item_id": "item1", "quantity": 2, "price_cents": 1250], ["item_id": "item3", "quantity": 1, "price_cents": 1750]]]))
let commandBytes = WireCodec.encode(command)
let event = WireMessage.event(Event(
    seq: 123_456, stream: "payment-run7-1234", version: 1, type: "PaymentCharged",
    data: ["order_id": "run7-1234", "payment_id": "pay-run7-1234", "user_id": "user-34", "amount_cents": 4250],
    metadata: EventMetadata(correlationID: "run7-1234", causationID: "run7-1234/2/action", service: "payment", timeMs: 1_795_960_000_000)))
let eventBytes = WireCodec.encode(event)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(2))

    Benchmark("codec: encode command") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(WireCodec.encode(command)) }
    }
    Benchmark("codec: decode command") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try WireCodec.decode(commandBytes)) }
    }
    Benchmark("codec: encode event") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(WireCodec.encode(event)) }
    }
    Benchmark("codec: decode event") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try WireCodec.decode(eventBytes)) }
    }

    Benchmark("log: group commit of 64 commands (durable)", configuration: .init(maxDuration: .seconds(3))) { benchmark in
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zsaga-bench-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = try EventLog(path: directory.appendingPathComponent("log.sqlite").path, service: "bench")
        var counter = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let units = (0..<64).map { _ -> LogBatch in
                counter += 1
                return LogBatch(
                    appends: [StreamAppend(stream: "payment-o\(counter)", expectedVersion: .noStream, events: [
                        NewEvent(type: "PaymentCharged", data: ["order_id": .string("o\(counter)"), "amount_cents": 4250],
                                 correlationID: "s\(counter)", causationID: "s\(counter)/2/action", timeMs: 0)])],
                    commands: [ProcessedCommand(commandID: "s\(counter)/2/action", reply: commandBytes, timeMs: 0)])
            }
            blackHole(try log.commit(group: units))
        }
    }

    Benchmark("saga: state-machine step (a step succeeds)") { benchmark in
        let context = try SagaDefinition.order.validateContext(
            ["user_id": "u1", "items": [["item_id": "item1", "quantity": 2, "price_cents": 1000]]], sagaID: "s1")
        let (started, _) = SagaMachine.start(id: "s1", definition: .order, context: context, now: 0)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var state = started
            blackHole(SagaMachine.handle(&state, .order, commandID: "s1/0/action", outcome: .ok(["order_id": "s1"]), now: 1, unit: 0.5))
        }
    }
}
