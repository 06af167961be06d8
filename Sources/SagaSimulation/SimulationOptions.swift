import BuiltInSagas
import SagaCore
import SagaEngine

/// Settings of one seeded simulation run of the orchestrator engine among simulated
/// participants. Times are virtual milliseconds; rates are probabilities.
package struct SimulationOptions: Sendable {
    /// The seed of every choice the run makes: the same seed makes the same run.
    package var seed: UInt64
    /// Sagas started in the run.
    package var sagas = 96
    /// The saga types, chosen at random per saga (their services become participants).
    package var definitions: [SagaDefinition] = [Self.fastOrder]
    /// The sagas start over this window.
    package var startWindowMs: Int64 = 12_000
    /// Faults are injected until this time; then everything heals and the run waits for every
    /// saga to settle.
    package var chaosMs: Int64 = 20_000
    /// The run gives up (a violation) if the sagas have not settled by then.
    package var limitMs: Int64 = 300_000
    /// A command or a reply lost on the wire.
    package var dropRate = 0.04
    /// A command or a reply delivered twice.
    package var duplicateRate = 0.04
    /// An action refused by a business rule (steps that name rejected events).
    package var rejectionRate = 0.15
    /// A batch that crashes at one of the engine's crash points.
    package var crashRate = 0.005
    /// The same, for the batches of an incarnation's first moments (recovery's own batches:
    /// the answers to its re-sends and the replayed events).
    package var crashRateAfterRecovery = 0.5
    /// How long an incarnation's first moments last, in virtual ms.
    package var recoveryWindowMs: Int64 = 150
    /// Mean virtual ms between nemesis acts (kills, pauses, freezes).
    package var nemesisEveryMs: Int64 = 1_500
    /// A snapshot after this many events (small, so recovery from snapshots runs too).
    package var snapshotEvery = 60

    package init(seed: UInt64) {
        self.seed = seed
    }

    /// The built-in order saga with short retry policies (400 ms per attempt, 3 attempts; 40
    /// for compensations), so that steps run out of attempts within a few virtual seconds even
    /// while the engine keeps being killed.
    package static let fastOrder: SagaDefinition = {
        let order = SagaDefinition.order
        let retry = RetryPolicy(timeoutMs: 400, maxAttempts: 3, backoffMs: 50, maxBackoffMs: 400)
        var steps = order.steps
        for index in steps.indices { steps[index].retry = retry }
        return SagaDefinition(type: order.type, context: order.context, steps: steps, onComplete: order.onComplete,
                              compensationRetry: RetryPolicy(timeoutMs: 400, maxAttempts: 40, backoffMs: 50, maxBackoffMs: 1000))
    }()

    /// The participants the definitions need.
    package var services: [String] {
        Array(Set(definitions.flatMap { $0.steps.map(\.service) + $0.onComplete.map(\.service) })).sorted()
    }
}
