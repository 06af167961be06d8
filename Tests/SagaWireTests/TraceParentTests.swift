import Testing
@testable import SagaWire

/// W3C `traceparent` on commands and queries: version 00 only, lower-case hex, no all-zero
/// ids; it round-trips, stays out of the body hash, and a bad one is refused naming the field.
@Suite struct TraceParentTests {
    static let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test func onlyAValidVersion00HeaderIsATraceParent() {
        let parent = TraceParent(Self.valid)
        #expect(parent?.traceID == "4bf92f3577b34da6a3ce929d0e0e4736" && parent?.spanID == "00f067aa0ba902b7")
        for bad in ["", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                    "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
                    "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01"] {
            #expect(TraceParent(bad) == nil, "\(bad)")
        }
    }

    @Test func itRidesOnCommandsAndQueriesOutsideTheBodyHash() throws {
        let parent = try #require(TraceParent(Self.valid))
        let command = Command(id: "s/0/action", type: "order.CreateOrder", body: ["order_id": "o"], traceParent: parent)
        #expect(try WireCodec.decode(WireCodec.encode(.command(command))) == .command(command))
        let query = Query(id: "q", type: "sys.Ping", traceParent: parent)
        #expect(try WireCodec.decode(WireCodec.encode(.query(query))) == .query(query))
        var untraced = command
        untraced.traceParent = nil
        #expect(command.bodyHash == untraced.bodyHash, "a retry with another span is the same command")
    }

    @Test func aBadTraceParentIsRefusedNamingTheField() {
        let frame = Array(#"{"v":1,"kind":"command","id":"c1","type":"order.CreateOrder","traceparent":"00-xyz","body":{}}"#.utf8)
        #expect(throws: WireError(.invalidArgument, "must be a W3C traceparent, 00-<32 hex>-<16 hex>-<2 hex>", field: "traceparent")) {
            try WireCodec.decode(frame)
        }
    }
}
