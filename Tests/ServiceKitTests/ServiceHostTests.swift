import Foundation
import SagaWire
import ServiceKit
import Testing

/// The service host's batching, in process (``EmbeddedServiceHost``): what the system tests saw
/// only through spawned processes and sleeps.
@Suite(.serialized) struct ServiceHostTests {
    /// Replies by command id, until `count` have come (or none for 3 s).
    func replies(_ host: EmbeddedServiceHost, count: Int) throws -> [(id: String, reply: Reply)] {
        var got: [(String, Reply)] = []
        while got.count < count, let answer = try host.receive() {
            if case .reply(let reply) = answer { got.append((reply.inReplyTo, reply)) }
        }
        return got
    }

    /// Forty commands queued before the host runs: committed in fewer commits than commands
    /// (group commit), each reply naming the sequence numbers its events got, the two commands
    /// on one stream in the same batch at consecutive versions (the second decided on the
    /// first's effect), and a command id sent twice in the batch applied once, both copies
    /// answered alike.
    @Test func oneBatchCommitsTogetherPredictsItsSequenceNumbersAndDeduplicates() throws {
        let host = try EmbeddedServiceHost()
        defer { host.destroy() }
        for index in 0..<38 { try host.command("c\(index)", key: "k\(index % 19)", n: 1) }
        try host.command("c0", key: "k0", n: 1)   // the same command again, in the same batch
        try host.command("c38", key: "k0", n: 5)
        host.start()
        let got = try replies(host, count: 40)
        try #require(got.count == 40)
        #expect(Set(got.map(\.id)).count == 39)
        let copies = got.filter { $0.id == "c0" }.map(\.reply)
        #expect(copies.count == 2 && copies[0] == copies[1], "both copies of c0 get the same reply")
        let seqs = got.filter { $0.id != "c0" }.flatMap(\.reply.events) + copies[0].events
        #expect(seqs.sorted() == Array(1...39), "39 events, each sequence number predicted once")
        let ping = try #require(try host.query("sys.Ping"))
        #expect(ping["head"] == 39)
        let commit = try #require(ping["commit"])
        #expect(commit["units"] == 39)
        #expect((commit["commits"]?.intValue ?? 99) < 39 && (commit["largest_batch"]?.intValue ?? 0) > 1, "group commit: \(commit)")
        #expect(try host.query("tally.Get", ["key": "k0"])?["total"] == 7, "k0: c0, c19 and c38 (5), c0 once")
        // The events the replies named are the log's: replayed, each at its predicted place.
        let replay = try #require(try host.query("sys.Replay", ["from": 1, "limit": 100]))
        let events = replay["events"]?.arrayValue ?? []
        #expect(events.count == 39)
        let k0 = events.filter { $0["stream"] == "tally-k0" }.compactMap { $0["version"]?.intValue }
        #expect(k0 == [1, 2, 3], "k0's three commands at consecutive versions")
        #expect(host.stop() == nil)
    }

    /// A command id seen in an earlier batch, even after a restart, gets its recorded reply, byte
    /// for byte, and changes nothing.
    @Test func aRepeatedCommandGetsItsRecordedReplyAcrossARestart() throws {
        let host = try EmbeddedServiceHost()
        defer { host.destroy() }
        try host.command("once", key: "a", n: 3)
        host.start()
        let first = try #require(try replies(host, count: 1).first?.reply)
        #expect(host.stop() == nil)
        host.start()
        try host.command("once", key: "a", n: 3)
        let again = try #require(try replies(host, count: 1).first?.reply)
        #expect(again == first)
        #expect(try host.query("tally.Get", ["key": "a"])?["total"] == 3)
        #expect(try host.query("sys.Head")?["head"] == 1)
        #expect(host.stop() == nil)
    }

    /// A command id reused with another body is refused with `conflict`, in the same batch as
    /// the original or in a later one, and changes nothing; the same body again is a retry.
    @Test func aReusedCommandIDWithAnotherBodyIsAConflict() throws {
        let host = try EmbeddedServiceHost()
        defer { host.destroy() }
        try host.command("dup", key: "a", n: 1)
        try host.command("dup", key: "a", n: 2)   // same id, another body, same batch
        host.start()
        var answers: [WireMessage] = []
        while answers.count < 2, let answer = try host.receive() { answers.append(answer) }
        #expect(answers.contains { if case .reply(let reply) = $0 { reply.outcome == .ok } else { false } })
        #expect(answers.contains { if case .error(let error) = $0 { error.code == .conflict && error.field == "id" } else { false } })
        try host.command("dup", key: "a", n: 3)   // a later batch
        guard case .error(let error)? = try host.receive() else { Issue.record("expected a conflict"); return }
        #expect(error.code == .conflict && error.message.contains("dup"))
        try host.command("dup", key: "a", n: 1)   // the original again: its recorded reply
        guard case .reply(let retry)? = try host.receive() else { Issue.record("expected the recorded reply"); return }
        #expect(retry.outcome == .ok && retry.events == [1])
        #expect(try host.query("tally.Get", ["key": "a"])?["total"] == 1)
        #expect(host.stop() == nil)
    }

    /// An injected delay holds a command back while the reactor goes on answering (the system
    /// queries here), and the held one is then decided in a later batch, once.
    @Test func aDelayedCommandDoesNotHoldUpTheReactor() throws {
        let faults = try FaultSpec.parse("delay=tally.Add:300")
        let host = try EmbeddedServiceHost(faults: faults)
        defer { host.destroy() }
        host.start()
        try host.command("slow", key: "s", n: 1)
        // sys.* is never delayed: it answers while the command waits.
        let began = Date()
        #expect(try host.query("sys.Head")?["head"] == 0, "nothing recorded while the command is held")
        let reply = try #require(try replies(host, count: 1).first)
        #expect(reply.id == "slow" && Date().timeIntervalSince(began) >= 0.2)
        #expect(try host.query("sys.Head")?["head"] == 1)
        #expect(host.stop() == nil)
    }
}

