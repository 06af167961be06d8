import SagaCore
import EventLog
import SagaWire
import HostCore
import ServiceModel

/// Everything one iteration of the orchestrator decided: the saga moves to commit at once, the
/// effects to carry out, the answers to send.
struct OrchestratorBatch {
    /// One unit per saga move (and one for the stream offsets), committed together.
    var units: [LogBatch] = []
    /// Effects in decision order; those marked `ahead` go out before the commit.
    var effects: [(sagaID: String, effects: [SagaEffect], ahead: Bool)] = []
    /// The summaries of the sagas this batch settles, as their rows are written (so a waiter is
    /// answered without reading the row back).
    var settled: [String: SagaSummary] = [:]
    var replies: [(route: [[UInt8]], message: WireMessage)] = []
    var queries: [(query: Query, route: [[UInt8]])] = []
    /// Sagas that already have a command going ahead of this batch's commit.
    private(set) var sentAhead: Set<String> = []

    var isEmpty: Bool { units.isEmpty && effects.isEmpty && replies.isEmpty && queries.isEmpty }

    /// Records a saga's move: its events as one unit, its effects in order.
    ///
    /// The move's commands go ahead of the commit only when the machine allows it
    /// (``Transition/sendsAhead``) and the saga has nothing ahead in this batch yet. A saga can
    /// move twice in one batch (after a restart, its step's recorded reply and the next step's
    /// replayed event may arrive together); the second move's commands then wait for the
    /// commit. So whatever the crashes, a service can be at most one step ahead of the log:
    /// the invariant recovery relies on (docs/FAULTS.md, "One step ahead, at most").
    mutating func record(_ sagaID: String, versionBefore: Int64, _ transition: Transition, writes: [ReadWrite]) {
        if !transition.events.isEmpty || !writes.isEmpty {
            units.append(LogBatch(appends: [StreamAppend(
                stream: SagaState.stream(sagaID),
                expectedVersion: versionBefore == 0 ? .noStream : .exact(versionBefore),
                events: transition.events)], writes: writes))
        }
        guard !transition.effects.isEmpty else { return }
        if transition.effects.contains(where: { if case .settled = $0 { true } else { false } }) {
            for case .put(SagaBook.summaryTable, sagaID, _, let document) in writes {
                settled[sagaID] = SagaSummary(json: document)
            }
        }
        let ahead = transition.sendsAhead && sentAhead.insert(sagaID).inserted
        effects.append((sagaID, transition.effects, ahead))
    }
}
