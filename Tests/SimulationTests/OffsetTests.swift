import Foundation
import SagaCore
import SagaEngine
import SagaSimulation
import SagaWire
import HostCore
import Testing

/// Where the orchestrator consumed each service's stream up to is saved in its log: riding on
/// a commit the batch makes anyway, or on its own at most once a second; a restart resumes from
/// the last one saved (replaying a few events again, which changes nothing).
@Suite struct OffsetTests {
    /// An event no saga waits for, at the next sequence number of `service`.
    func noise(_ s: Scripted, _ service: String) -> Event {
        Event(seq: s.cursors[service, default: 0] + 1, stream: "noise", version: 1, type: "Noise", data: [:],
              metadata: EventMetadata(service: service, timeMs: s.clock.wallClockMs()))
    }

    func restarted(_ s: Scripted) throws -> [String: Int64] {
        s.orchestrator.crash()
        try s.start()
        return s.engine.recoveredPositions
    }

    @Test func positionsRideOnCommitsOrAreSavedAloneOnceASecond() throws {
        let s = try Scripted()
        try s.start()
        try s.batch(requests: [Scripted.start("a")])
        // Replies are held back throughout: only events move the saga here.
        let created = s.pendingEvents(["order"])
        try #require(!created.isEmpty)
        // The start's commit saved the positions; a second later, an event that moves nothing is
        // saved alone…
        s.clock.advance(by: 1100)
        try s.batch(withReplies: false, events: [noise(s, "order")])
        let savedAlone = s.cursors["order"]!
        // …the next, within the second, is not…
        try s.batch(withReplies: false, events: [noise(s, "order")])
        #expect(try restarted(s)["order"] == savedAlone, "a second lone save within a second of the first")
        // …but a position rides on any commit, within the second or not: the step's event moves
        // the saga, and its batch commits.
        try s.batch(withReplies: false, events: [noise(s, "order")])
        try s.batch(withReplies: false, events: created.map { event in
            Event(seq: s.cursors["order"]! + 1, stream: event.stream, version: event.version, type: event.type, data: event.data,
                  metadata: event.metadata)
        })
        #expect(s.status("a") == .running)
        #expect(try restarted(s)["order"] == s.cursors["order"]!, "saved with the saga's commit")
        // A second later, a lone one is saved again.
        try s.batch(withReplies: false, events: [noise(s, "order")])
        let first = s.cursors["order"]!
        s.clock.advance(by: 1100)
        try s.batch(withReplies: false, events: [noise(s, "order")])
        #expect(try restarted(s)["order"] == s.cursors["order"]! && s.cursors["order"]! > first)
    }
}
