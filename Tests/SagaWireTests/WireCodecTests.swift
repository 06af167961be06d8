import Testing
@testable import SagaWire

@Suite struct WireCodecTests {
    static let samples: [WireMessage] = [
        .command(Command(id: "saga-1/0/action", type: "order.CreateOrder", correlationID: "saga-1",
                         causationID: "start-1", body: ["user_id": "u1", "items": [["item_id": "item1", "quantity": 2]]])),
        .command(Command(id: "c2", type: "payment.RefundPayment")),
        .reply(Reply(inReplyTo: "saga-1/2/action", outcome: .rejected, reason: "payment_declined",
                     message: "card declined", body: ["payment_id": "p1"], events: [7, 8])),
        .reply(Reply(inReplyTo: "c2", outcome: .ok)),
        .query(Query(id: "q1", type: "order.GetOrder", body: ["order_id": "o1"])),
        .result(QueryResult(inReplyTo: "q1", body: ["order": ["status": "confirmed"]])),
        .event(Event(seq: 42, stream: "order-o1", version: 3, type: "OrderConfirmed", data: ["order_id": "o1"],
                     metadata: EventMetadata(correlationID: "saga-1", causationID: "saga-1/3/action",
                                             service: "order", timeMs: 1_700_000_000_123))),
        .event(Event(seq: 1, stream: "s", version: 1, type: "T", data: [:],
                     metadata: EventMetadata(service: "inventory", timeMs: 0))),
        .heartbeat(Heartbeat(source: "payment", head: 1234, timeMs: 99)),
        .error(ErrorReply(inReplyTo: "q1", code: .invalidArgument, message: "must be positive", field: "body.qty")),
        .error(ErrorReply(inReplyTo: nil, code: .malformed, message: "not JSON")),
    ]

    @Test(arguments: samples)
    func roundTrips(_ message: WireMessage) throws {
        let bytes = WireCodec.encode(message)
        #expect(try WireCodec.decode(bytes) == message)
    }

    @Test func encodesTheDocumentedEnvelope() {
        let bytes = WireCodec.encode(.command(Command(id: "c1", type: "order.CreateOrder", correlationID: "s1", body: ["a": 1])))
        #expect(String(decoding: bytes, as: UTF8.self)
            == #"{"v":1,"kind":"command","id":"c1","type":"order.CreateOrder","correlation_id":"s1","body":{"a":1}}"#)
        let event = Event(seq: 5, stream: "order-1", version: 2, type: "OrderCreated", data: [:],
                          metadata: EventMetadata(service: "order", timeMs: 10))
        #expect(event.topic == "order.OrderCreated")
        #expect(Heartbeat(source: "order", head: 1, timeMs: 1).topic == "order.$heartbeat")
        #expect(Framing.publish(event)[0] == Array("order.OrderCreated".utf8))
    }

    /// Every decode error named in docs/PROTOCOL.md, with its code and field.
    @Test(arguments: [
        (#"not json"#, ErrorCode.malformed, nil as String?),
        (#"[1,2]"#, .malformed, ""),
        (#"{"kind":"command"}"#, .malformed, "v"),
        (#"{"v":"1","kind":"command"}"#, .malformed, "v"),
        (#"{"v":2,"kind":"command","id":"a","type":"t"}"#, .unsupportedVersion, "v"),
        (#"{"v":1}"#, .malformed, "kind"),
        (#"{"v":1,"kind":"teleport"}"#, .unknownType, "kind"),
        (#"{"v":1,"kind":"command","type":"t"}"#, .malformed, "id"),
        (#"{"v":1,"kind":"command","id":"has space","type":"t"}"#, .malformed, "id"),
        (#"{"v":1,"kind":"command","id":"a"}"#, .malformed, "type"),
        (#"{"v":1,"kind":"command","id":"a","type":"t","body":[1]}"#, .malformed, "body"),
        (#"{"v":1,"kind":"command","id":"a","type":"t","correlation_id":5}"#, .malformed, "correlation_id"),
        (#"{"v":1,"kind":"query","id":"a","type":7}"#, .malformed, "type"),
        (#"{"v":1,"kind":"reply","in_reply_to":"a","outcome":"maybe"}"#, .malformed, "outcome"),
        (#"{"v":1,"kind":"reply","in_reply_to":"a","outcome":"ok","events":[0]}"#, .malformed, "events[0]"),
        (#"{"v":1,"kind":"result","body":{}}"#, .malformed, "in_reply_to"),
        (#"{"v":1,"kind":"event","source":"o","seq":0,"stream":"s","version":1,"type":"T","data":{},"meta":{"time_ms":1}}"#, .malformed, "seq"),
        (#"{"v":1,"kind":"event","source":"o","seq":1,"stream":"s","version":1,"type":"T","data":{}}"#, .malformed, "meta"),
        (#"{"v":1,"kind":"event","source":"o","seq":1,"stream":"s","version":1,"type":"T","data":3,"meta":{"time_ms":1}}"#, .malformed, "data"),
        (#"{"v":1,"kind":"heartbeat","source":"o","head":-1,"time_ms":1}"#, .malformed, "head"),
        (#"{"v":1,"kind":"error","code":"nope","message":"x"}"#, .malformed, "code"),
    ])
    func rejectsBadEnvelopes(_ text: String, _ code: ErrorCode, _ field: String?) {
        do {
            _ = try WireCodec.decode(Array(text.utf8))
            Issue.record("decoded \(text)")
        } catch {
            #expect(error.code == code, "\(text)")
            #expect(error.field == field, "\(text)")
        }
    }

    @Test func rejectsOversizedInputBeforeParsing() {
        let big = [UInt8](repeating: UInt8(ascii: " "), count: 2048)
        #expect { try WireCodec.decode(big, maxBytes: 1024) } throws: { ($0 as? WireError)?.code == .tooLarge }
    }

    @Test func ignoresUnknownMembersAndDefaultsBody() throws {
        let text = #"{"v":1,"kind":"query","id":"q","type":"sys.Ping","extra":{"future":true}}"#
        #expect(try WireCodec.decode(Array(text.utf8)) == .query(Query(id: "q", type: "sys.Ping", body: [:])))
    }

    @Test func bestEffortIDFindsTheIDOfAnInvalidEnvelope() {
        #expect(WireCodec.bestEffortID(Array(#"{"id":"x1","v":9}"#.utf8)) == "x1")
        #expect(WireCodec.bestEffortID(Array("garbage".utf8)) == nil)
    }

    @Test func neverTrapsOnMutatedInput() {
        var rng = SplitMix64(seed: 7)
        let seeds = Self.samples.map(WireCodec.encode)
        for round in 0..<20_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0...(rng.next() % 4) {
                guard !bytes.isEmpty else { break }
                let index = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[index] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.remove(at: index)
                default: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: index)
                }
            }
            // Either a message or a typed error; reaching the next round means no trap.
            _ = try? WireCodec.decode(bytes)
        }
        #expect(Bool(true))
    }
}

@Suite struct FramingTests {
    @Test func acceptsDealerAndReqShapes() throws {
        let body = Array("{}".utf8)
        let dealer = try Framing.splitRouterFrames([[1, 2], body]).get()
        #expect(dealer.route == [[1, 2]])
        #expect(dealer.reply([9]) == [[1, 2], [9]])
        let req = try Framing.splitRouterFrames([[1, 2], [], body]).get()
        #expect(req.route == [[1, 2], []])
        #expect(req.reply([9]) == [[1, 2], [], [9]])
    }

    @Test(arguments: [
        ([[UInt8]](), [[UInt8]]()),
        ([[1]], [[1]]),
        ([[1], [5], [6]], [[1]]),
        ([[1], [], [5], [6]], [[1], []]),
    ] as [([[UInt8]], [[UInt8]])])
    func rejectsOtherShapesWithARoute(_ frames: [[UInt8]], _ route: [[UInt8]]) {
        switch Framing.splitRouterFrames(frames) {
        case .success: Issue.record("accepted \(frames)")
        case .failure(let failure):
            #expect(failure.error.code == .malformed)
            #expect(failure.route == route)
        }
    }
}
