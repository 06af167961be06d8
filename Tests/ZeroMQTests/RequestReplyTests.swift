import Foundation
import Testing
@testable import ZeroMQ

@Suite struct RequestReplyTests {
    @Test(arguments: Transport.allCases)
    func reqRepRoundTrips(_ transport: Transport) throws {
        let context = try ZMQContext()
        let server = try ZMQSocket(context, .rep)
        let endpoint = try server.bind(transport.endpoint())
        let client = try ZMQSocket(context, .req)
        try client.connect(endpoint)

        for i in 0..<50 {
            try client.send([UInt8]("ping \(i)"))
            let request = try #require(try server.receive(within: 2000))
            #expect(request == [[UInt8]("ping \(i)")])
            try server.send([UInt8]("pong \(i)"))
            let reply = try #require(try client.receive(within: 2000))
            #expect(reply == [[UInt8]("pong \(i)")])
        }
    }

    @Test(arguments: Transport.allCases)
    func dealersAndRouterKeepIdentitiesWithManyRequestsInFlight(_ transport: Transport) throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context, .router)
        try router.setRouterMandatory(true)
        let endpoint = try router.bind(transport.endpoint())

        let perDealer = 500
        var dealers: [ZMQSocket] = []
        for d in 0..<4 {
            let dealer = try ZMQSocket(context, .dealer)
            try dealer.setRoutingID([UInt8]("dealer-\(d)"))
            try dealer.connect(endpoint)
            dealers.append(dealer)
        }
        #expect(try dealers[2].routingID() == [UInt8]("dealer-2"))

        // Every dealer queues all its requests before any reply is read.
        for (d, dealer) in dealers.enumerated() {
            for i in 0..<perDealer { try dealer.send([[], [UInt8]("\(d):\(i)")]) }
        }
        // The router echoes each request to the identity it came from.
        var seen: [String: Int] = [:]
        for _ in 0..<(perDealer * dealers.count) {
            let frames = try #require(try router.receive(within: 5000))
            #expect(frames.count == 3)
            #expect(frames[1].isEmpty)
            let identity = String(decoding: frames[0], as: UTF8.self)
            seen[identity, default: 0] += 1
            try router.send([frames[0], [], frames[2] + [UInt8](" ok")])
        }
        #expect(seen == Dictionary(uniqueKeysWithValues: (0..<4).map { ("dealer-\($0)", perDealer) }))

        // Each dealer gets exactly its own replies, in the order it sent the requests.
        for (d, dealer) in dealers.enumerated() {
            for i in 0..<perDealer {
                let reply = try #require(try dealer.receive(within: 5000))
                #expect(reply == [[], [UInt8]("\(d):\(i) ok")])
            }
        }
    }

    @Test func routerMandatoryReportsUnknownPeer() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context, .router)
        try router.setRouterMandatory(true)
        try router.bind(Transport.tcp.endpoint())
        #expect {
            try router.send([[UInt8]("nobody"), [], [UInt8]("hello")])
        } throws: { error in
            (error as? ZMQError)?.kind == .hostUnreachable
        }
        // Without ROUTER_MANDATORY the same message is dropped silently.
        let lax = try ZMQSocket(context, .router)
        try lax.bind(Transport.tcp.endpoint())
        try lax.send([[UInt8]("nobody"), [], [UInt8]("hello")])
    }

    @Test func bindingAnAddressInUseIsAClearError() throws {
        let context = try ZMQContext()
        let first = try ZMQSocket(context, .router)
        let endpoint = try first.bind("tcp://127.0.0.1:*")
        let second = try ZMQSocket(context, .router)
        do {
            try second.bind(endpoint)
            Issue.record("second bind to \(endpoint) succeeded")
        } catch let error as ZMQError {
            #expect(error.kind == .addressInUse)
            #expect(error.call == "zmq_bind(\(endpoint))")
            #expect(error.description.contains("Address already in use"))
        }
    }

    @Test func unbindAndDisconnect() throws {
        let context = try ZMQContext()
        let server = try ZMQSocket(context, .router)
        let endpoint = try server.bind(Transport.tcp.endpoint())
        try server.unbind(endpoint)
        // The port is free again (libzmq closes the listener on its I/O thread, so allow a moment).
        let other = try ZMQSocket(context, .router)
        var bound = false
        for _ in 0..<100 where !bound {
            do {
                try other.bind(endpoint)
                bound = true
            } catch let error as ZMQError where error.kind == .addressInUse {
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        #expect(bound)
        let client = try ZMQSocket(context, .dealer)
        try client.connect(endpoint)
        try client.disconnect(endpoint)
        #expect(throws: ZMQError.self) { try client.disconnect(endpoint) }
    }
}
