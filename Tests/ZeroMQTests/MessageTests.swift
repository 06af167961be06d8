import Foundation
import Testing
@testable import ZeroMQ

@Suite struct MessageTests {
    @Test(arguments: Transport.allCases)
    func multipartKeepsEmptyFramesAndLargeFramesIntact(_ transport: Transport) throws {
        let context = try ZMQContext()
        let a = try ZMQSocket(context, .pair)
        let endpoint = try a.bind(transport.endpoint())
        let b = try ZMQSocket(context, .pair)
        try b.connect(endpoint)

        var generator = SystemRandomNumberGenerator()
        let big = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let message: [[UInt8]] = [[], [UInt8]("header"), [], big, [0], []]
        try a.send(message)
        let received = try #require(try b.receive(within: 5000))
        #expect(received.count == message.count)
        #expect(received == message)

        // A single empty frame is a valid message too.
        try b.send([[]])
        #expect(try a.receive(within: 2000) == [[]])
    }

    @Test func oversizedMessagesAreRefusedAndTheSocketKeepsServing() throws {
        let context = try ZMQContext()
        let server = try ZMQSocket(context, .router)
        try server.setMaxMessageSize(1024)
        let endpoint = try server.bind(Transport.tcp.endpoint())

        let abuser = try ZMQSocket(context, .dealer)
        try abuser.connect(endpoint)
        try abuser.send([[UInt8](repeating: 7, count: 4096)])
        // libzmq drops the connection instead of delivering the message.
        #expect(try server.receive(within: 500) == nil)

        let honest = try ZMQSocket(context, .dealer)
        try honest.connect(endpoint)
        try honest.send([[UInt8](repeating: 1, count: 1000)])
        let frames = try #require(try server.receive(within: 2000))
        #expect(frames.count == 2)
        #expect(frames[1].count == 1000)
    }

    @Test func nonBlockingCallsReportWouldBlock() throws {
        let context = try ZMQContext()
        let dealer = try ZMQSocket(context, .dealer)
        // No peer yet: nothing to receive, and nowhere to queue a message.
        #expect(try dealer.tryReceive() == nil)
        // IMMEDIATE applies to connections made after it is set.
        try dealer.setImmediate(true)
        try dealer.connect("tcp://127.0.0.1:1")
        #expect(try dealer.trySend([[UInt8]("x")]) == false)
        try dealer.setSendTimeout(50)
        #expect { try dealer.send([[UInt8]("x")]) } throws: { ($0 as? ZMQError)?.kind == .wouldBlock }
        try dealer.setReceiveTimeout(20)
        #expect { _ = try dealer.receive() } throws: { ($0 as? ZMQError)?.kind == .wouldBlock }
    }

    @Test func sendHighWaterMarkBoundsTheQueue() throws {
        let context = try ZMQContext()
        let receiver = try ZMQSocket(context, .pair)
        try receiver.setReceiveHighWaterMark(10)
        let endpoint = try receiver.bind("inproc://hwm")
        let sender = try ZMQSocket(context, .pair)
        try sender.setSendHighWaterMark(10)
        try sender.connect(endpoint)
        var queued = 0
        while try sender.trySend([[UInt8]("m")]) { queued += 1; if queued > 10_000 { break } }
        // inproc adds the two high-water marks; the point is that the queue is bounded.
        #expect(queued >= 10 && queued <= 40)
        #expect(try sender.isWritable() == false)
        #expect(try receiver.isReadable())
    }

    @Test func heartbeatOptionsAreAccepted() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, .dealer)
        try socket.setHeartbeat(interval: 1000, timeout: 3000, ttl: 6000)
        try socket.setLinger(100)
        #expect(throws: ZMQUsageError.self) { try socket.setRoutingID([]) }
    }
}
