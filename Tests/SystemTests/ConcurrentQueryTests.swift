import Foundation
import SagaClient
import SagaWire
import ServiceKit
import Testing
import ZeroMQ

/// `ClusterClient.queries` sends every query before it waits for any answer: two fake
/// processes here answer only once both have been asked, which a client asking one after the
/// other could never see. A third never answers, and is reported unreachable without holding
/// up the others.
@Suite struct ConcurrentQueryTests {
    @Test func queriesGoOutTogetherAndASilentProcessFailsAlone() throws {
        let context = try ZMQContext()
        let routers = try (0..<3).map { _ in try ZMQSocket(context, .router) }
        let endpoints = try routers.map { try $0.bind("tcp://127.0.0.1:*") }
        let outcome = LockedValue<[Result<JSON, ClientError>]?>(nil)
        let asking = Thread {
            let results = (try? ClusterClient())?.queries(
                [.init(endpoints[0], "a.Ping"), .init(endpoints[1], "b.Ping"), .init(endpoints[2], "c.Ping")], timeoutMs: 3000)
            outcome.withLock { $0 = results ?? [] }
        }
        asking.start()
        // Both are asked before either answers.
        var asked: [(socket: ZMQSocket, frames: [[UInt8]])] = []
        let deadline = Date().addingTimeInterval(10)
        while asked.count < 2 && Date() < deadline {
            for router in routers.prefix(2) {
                if let frames = try router.tryReceive() { asked.append((router, frames)) }
            }
            usleep(1000)
        }
        #expect(asked.count == 2, "both queries arrived while neither was answered")
        for (router, frames) in asked {
            guard case .query(let query) = try WireCodec.decode(frames.last!) else { continue }
            try router.send([frames[0], WireCodec.encode(.result(QueryResult(inReplyTo: query.id, body: ["type": .string(query.type)])))])
        }
        while outcome.withLock({ $0 }) == nil && Date() < deadline { usleep(10_000) }
        let results = try #require(outcome.withLock { $0 })
        try #require(results.count == 3)
        #expect(try results[0].get()["type"] == "a.Ping")
        #expect(try results[1].get()["type"] == "b.Ping")
        guard case .failure(.unreachable(let endpoint, _)) = results[2] else {
            Issue.record("the silent process should be unreachable, not \(results[2])")
            return
        }
        #expect(endpoint == endpoints[2])
        for router in routers { router.close() }
    }
}
