import SagaWire
import ServiceModel
import Testing
@testable import ServiceKit

func event(_ seq: Int64) -> Event {
    Event(seq: seq, stream: "s", version: seq, type: "E", data: [:], metadata: EventMetadata(service: "order", timeMs: 0))
}

@Suite struct StreamCursorTests {
    @Test func deliversInOrderDropsDuplicatesAndReplaysGaps() {
        var cursor = StreamCursor(source: "order", after: 0)
        #expect(cursor.live(event(1), now: 0).deliver.map(\.seq) == [1])
        #expect(cursor.live(event(1), now: 0).deliver.isEmpty)
        #expect(cursor.duplicates == 1)
        // 2 and 3 were dropped by PUB: 4 reveals the gap.
        let gap = cursor.live(event(4), now: 10)
        #expect(gap.deliver.isEmpty && gap.replayFrom == 2)
        // Only one replay at a time.
        #expect(cursor.live(event(5), now: 11).replayFrom == nil)
        let filled = cursor.replayed([event(2), event(3), event(4), event(5)], head: 5, now: 20)
        #expect(filled.deliver.map(\.seq) == [2, 3, 4, 5])
        #expect(filled.replayFrom == nil)
        #expect(cursor.position == 5 && cursor.isCaughtUp)
        #expect(cursor.live(event(5), now: 21).deliver.isEmpty)
        #expect(cursor.live(event(6), now: 22).deliver.map(\.seq) == [6])
    }

    @Test func heartbeatsRevealSilentLossAndPagesContinue() {
        var cursor = StreamCursor(source: "order", after: 10)
        #expect(cursor.heartbeat(head: 10, now: 0).replayFrom == nil)
        let behind = cursor.heartbeat(head: 2500, now: 1)
        #expect(behind.replayFrom == 11)
        let page = cursor.replayed((11...1010).map(event), head: 2500, now: 2)
        #expect(page.deliver.count == 1000)
        #expect(page.replayFrom == 1011)
        let rest = cursor.replayed((1011...2500).map(event), head: 2500, now: 3)
        #expect(rest.deliver.last?.seq == 2500 && rest.replayFrom == nil)
        #expect(cursor.position == 2500)
    }

    @Test func unansweredReplaysAreRetriedAfterTheirTimeout() {
        var cursor = StreamCursor(source: "order", after: 0)
        #expect(cursor.heartbeat(head: 3, now: 0).replayFrom == 1)
        #expect(cursor.tick(now: 1000).replayFrom == nil)
        #expect(cursor.tick(now: 3000).replayFrom == 1)
        cursor.replayFailed()
        #expect(cursor.tick(now: 3001).replayFrom == 1)
    }

    @Test func aNewConsumerStartsAtThePublishersHead() {
        var fromHeartbeat = StreamCursor(source: "order", after: nil)
        #expect(fromHeartbeat.heartbeat(head: 40, now: 0).replayFrom == nil)
        #expect(fromHeartbeat.live(event(41), now: 0).deliver.map(\.seq) == [41])
        var fromEvent = StreamCursor(source: "order", after: nil)
        #expect(fromEvent.tick(now: 0).replayFrom == nil)
        #expect(fromEvent.live(event(7), now: 0).deliver.map(\.seq) == [7])
    }

    /// Random loss, duplication and reordering: every event still arrives once, in order.
    @Test func survivesARandomlyLossyStream() {
        var random = SplitMix64(seed: 5)
        let published = (1...5000).map(event)
        var cursor = StreamCursor(source: "order", after: 0)
        var delivered: [Int64] = []
        var index = 0
        var now: Int64 = 0
        while index < published.count || !cursor.isCaughtUp {
            now += 1
            var step = StreamCursor.Step()
            if index < published.count {
                let roll = random.nextUnit()
                if roll < 0.2 {
                    index += 1 // lost
                } else if roll < 0.3 && index > 0 {
                    step = cursor.live(published[index - 1], now: now) // duplicate
                } else {
                    step = cursor.live(published[index], now: now)
                    index += 1
                }
            } else {
                step = cursor.heartbeat(head: 5000, now: now)
            }
            delivered += step.deliver.map(\.seq)
            while let from = step.replayFrom {
                let page = published.filter { $0.seq >= from }.prefix(Int(random.next() % 300) + 1)
                step = cursor.replayed(Array(page), head: Int64(index), now: now)
                delivered += step.deliver.map(\.seq)
            }
        }
        #expect(delivered == Array(1...5000))
    }
}
