import Foundation
import Testing
@testable import ZeroMQ

@Suite struct PubSubTests {
    @Test(arguments: Transport.allCases)
    func subscribersSeeOnlyTheirTopicPrefixes(_ transport: Transport) throws {
        let context = try ZMQContext()
        let publisher = try ZMQSocket(context, .pub)
        let endpoint = try publisher.bind(transport.endpoint())
        let orders = try ZMQSocket(context, .sub)
        try orders.subscribe("order.")
        try orders.connect(endpoint)
        let everything = try ZMQSocket(context, .sub)
        try everything.subscribe("")
        try everything.connect(endpoint)

        // Subscriptions travel to the publisher asynchronously: publish a marker until both see it.
        var synced = (false, false)
        for _ in 0..<200 where !(synced.0 && synced.1) {
            try publisher.send([[UInt8]("order.$sync"), []])
            if !synced.0, try orders.receive(within: 10) != nil { synced.0 = true }
            if !synced.1, try everything.receive(within: 10) != nil { synced.1 = true }
        }
        #expect(synced.0 && synced.1)
        // Sync markers still in flight may arrive below; they are skipped by topic.

        let topics = ["order.Created", "payment.Charged", "order.Cancelled", "orderly", "inventory.Reserved"]
        for (i, topic) in topics.enumerated() {
            try publisher.send([[UInt8](topic), [UInt8]("\(i)")])
        }
        var orderTopics: [String] = []
        while let message = try orders.receive(within: 300) {
            let topic = String(decoding: message[0], as: UTF8.self)
            if topic != "order.$sync" { orderTopics.append(topic) }
        }
        #expect(orderTopics == ["order.Created", "order.Cancelled"])
        var all: [String] = []
        while let message = try everything.receive(within: 300) {
            let topic = String(decoding: message[0], as: UTF8.self)
            if topic != "order.$sync" { all.append(topic) }
        }
        #expect(all == topics)

        try everything.unsubscribe("")
        try everything.subscribe("payment.")
        // After changing the subscription, only payment topics arrive.
        var gotPayment = false
        for _ in 0..<200 where !gotPayment {
            try publisher.send([[UInt8]("order.Created"), []])
            try publisher.send([[UInt8]("payment.Refunded"), []])
            while let message = try everything.receive(within: 10) {
                let topic = String(decoding: message[0], as: UTF8.self)
                if topic.hasPrefix("payment.") { gotPayment = true; break }
            }
        }
        #expect(gotPayment)
        while let message = try everything.receive(within: 100) {
            #expect(String(decoding: message[0], as: UTF8.self).hasPrefix("payment."))
        }
    }
}
