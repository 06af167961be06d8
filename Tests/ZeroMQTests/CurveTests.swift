import Foundation
import Testing
@testable import ZeroMQ

@Suite struct CurveTests {
    @Test func keyPairsAreValidZ85AndDeriveTheirPublicKey() throws {
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.count == 40 && pair.secretKey.count == 40)
        #expect(try CurveKeyPair.publicKey(forSecret: pair.secretKey) == pair.publicKey)
        let raw = try CurveKeyPair.decode(pair.publicKey)
        #expect(raw.count == 32)
        #expect(try CurveKeyPair.encode(raw) == pair.publicKey)
        #expect(try CurveKeyPair.generate() != pair)
        #expect(throws: ZMQUsageError.self) { try CurveKeyPair(publicKey: "short", secretKey: pair.secretKey) }
        #expect(throws: ZMQUsageError.self) { try CurveKeyPair.decode(String(repeating: "~", count: 40)) }
    }

    @Test func curveClientWithTheServerKeyTalks() throws {
        let server = try CurveKeyPair.generate()
        let client = try CurveKeyPair.generate()
        let context = try ZMQContext()
        let rep = try ZMQSocket(context, .rep)
        try rep.setCurveServer(true)
        try rep.setCurveSecretKey(server.secretKey)
        try rep.setZAPDomain("zsaga")
        let endpoint = try rep.bind(Transport.tcp.endpoint())

        let req = try ZMQSocket(context, .req)
        try req.setCurveServerKey(server.publicKey)
        try req.setCurvePublicKey(client.publicKey)
        try req.setCurveSecretKey(client.secretKey)
        try req.connect(endpoint)
        try req.send([UInt8]("secret order"))
        #expect(try rep.receive(within: 3000) == [[UInt8]("secret order")])

        // A plaintext client gets nothing through to a CURVE server.
        let plain = try ZMQSocket(context, .dealer)
        try plain.connect(endpoint)
        try plain.send([[], [UInt8]("plaintext")])
        try rep.send([UInt8]("ok"))
        #expect(try req.receive(within: 3000) == [[UInt8]("ok")])
        #expect(try rep.receive(within: 300) == nil)
    }

    @Test func aMonitorReportsAPlaintextClientAtACurveServer() throws {
        let server = try CurveKeyPair.generate()
        let context = try ZMQContext()
        let router = try ZMQSocket(context, .router)
        try router.setCurveServer(true)
        try router.setCurveSecretKey(server.secretKey)
        let endpoint = try router.bind(Transport.tcp.endpoint())
        let events = try router.monitor("inproc://monitor-test", events: .handshakeFailures)
        let plain = try ZMQSocket(context, .dealer)
        try plain.connect(endpoint)
        try plain.send([UInt8]("hello"))
        let frames = try events.receive(within: 3000)
        let event = try #require(frames.flatMap(SocketEvent.init(frames:)))
        #expect(event.event == .handshakeFailedProtocol)
        #expect(event.isMechanismMismatch)
        #expect(try router.receive(within: 200) == nil)
        router.stopMonitor()
        #expect(SocketEvent(frames: [[1, 2, 3]]) == nil)
    }
}
