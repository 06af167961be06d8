import SagaSimulation
import SagaWire
import Testing

/// The seeded simulation of the orchestrator engine, in process (a debug build): a small fixed
/// budget of seeds. `./scripts/test.sh` also runs 400 seeds of the release build, and
/// `scripts/simulate.sh` as many as you like.
@Suite struct SimulationTests {
    static let seeds: ClosedRange<UInt64> = 1...16

    @Test func everySeedEndsWithEveryEffectOfACompensatedSagaCompensatedOrFenced() throws {
        var total = SimulationReport()
        for seed in Self.seeds {
            total.merge(try Simulation(options: SimulationOptions(seed: seed)).run())
        }
        #expect(total.violations == [], "\(total.violations.prefix(10).joined(separator: "\n"))")
        #expect(total.sagas == Self.seeds.count * SimulationOptions(seed: 0).sagas)
        // The runs reached every recovery path they exist to test.
        for point in ["before-commit", "after-commit", "after-send-ahead", "kill"] {
            #expect(total.crashes[point, default: 0] > 0, "no crash at \(point)")
        }
        for path in ["exhausted", "compensate_from", "compensation_retry", "step_retry", "rejected"] {
            #expect(total.paths[path, default: 0] > 0, "the path \(path) never ran")
        }
        #expect(total.completed > 0 && total.compensated > 0)
    }

    @Test func aSeedMakesTheSameRunEveryTime() throws {
        let a = try Simulation(options: SimulationOptions(seed: 42)).run()
        let b = try Simulation(options: SimulationOptions(seed: 42)).run()
        #expect(a.json == b.json)
    }
}
