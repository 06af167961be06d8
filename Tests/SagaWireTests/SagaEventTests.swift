import SagaWire
import Testing

/// The orchestrator's events, typed: each payload encodes to the bytes the log has always held
/// (members in their order), decodes back to itself, and is refused by name when a member is
/// missing or of the wrong kind.
@Suite struct SagaEventTests {
    static let cases: [(SagaEvent, String)] = [
        (.definitionRegistered(.init(type: "order", fingerprint: "00ff", definition: ["type": "order"])),
         #"{"type":"order","fingerprint":"00ff","definition":{"type":"order"}}"#),
        (.sagaStarted(.init(sagaID: "s1", type: "order", definition: "00ff", context: ["a": 1])),
         #"{"saga_id":"s1","type":"order","definition":"00ff","context":{"a":1}}"#),
        (.stepSucceeded(.init(step: 1, name: "reserve", commandID: "s1/1/action", result: [:])),
         #"{"step":1,"name":"reserve","command_id":"s1/1/action","result":{}}"#),
        (.stepRetrying(.init(commandID: "s1/complete/0", role: .completion(index: 0), name: "confirm", attempt: 2, reason: "timeout",
                             delayMs: 95)),
         #"{"command_id":"s1/complete/0","role":{"kind":"completion","index":0},"name":"confirm","attempt":2,"reason":"timeout","delay_ms":95}"#),
        (.stepRetrying(.init(commandID: "s1/2/compensation", role: .compensation(step: 2), name: "c", attempt: 3, reason: "r", delayMs: 0)),
         #"{"command_id":"s1/2/compensation","role":{"kind":"compensation","step":2},"name":"c","attempt":3,"reason":"r","delay_ms":0}"#),
        (.stepFailed(.init(step: 2, name: "pay", commandID: "s1/2/action", reason: "declined", message: "no", exhausted: false)),
         #"{"step":2,"name":"pay","command_id":"s1/2/action","reason":"declined","message":"no","exhausted":false}"#),
        (.stepFailed(.init(step: 1, name: "r", commandID: "s1/1/action", reason: "exhausted", message: "m", exhausted: true,
                           compensateFrom: 2)),
         #"{"step":1,"name":"r","command_id":"s1/1/action","reason":"exhausted","message":"m","exhausted":true,"compensate_from":2}"#),
        (.compensationSucceeded(.init(step: 0, name: "create", commandID: "s1/0/compensation")),
         #"{"step":0,"name":"create","command_id":"s1/0/compensation"}"#),
        (.completionSucceeded(.init(index: 1, name: "commit", commandID: "s1/complete/1")),
         #"{"index":1,"name":"commit","command_id":"s1/complete/1"}"#),
        (.sagaCompleted(.init(durationMs: 12)), #"{"duration_ms":12}"#),
        (.sagaCompensated(.init(durationMs: 12, failure: nil)), #"{"duration_ms":12,"failure":null}"#),
        (.sagaCompensated(.init(durationMs: 12, failure: "pay rejected")), #"{"duration_ms":12,"failure":"pay rejected"}"#),
        (.sagaStuck(.init(reason: "r", commandID: "s1/0/compensation")), #"{"reason":"r","command_id":"s1/0/compensation"}"#),
        (.sagaResumed(.init(round: 1)), #"{"round":1}"#),
    ]

    @Test func eachPayloadEncodesToTheBytesOfTheLogAndDecodesBack() throws {
        for (event, bytes) in Self.cases {
            #expect(String(decoding: JSONWriter.encode(event.data), as: UTF8.self) == bytes, "\(event.type)")
            #expect(try SagaEvent(type: event.type, data: try JSONParser.parse(Array(bytes.utf8))) == event)
        }
        #expect(Set(Self.cases.map(\.0.type)) == Set(SagaEventType.allCases))
    }

    @Test func aSagasEventsAreCorrelatedWithItAndARegistrationIsNot() {
        let started = SagaEvent.sagaStarted(.init(sagaID: "s1", type: "t", definition: "f", context: [:])).newEvent(timeMs: 5)
        #expect(started.correlationID == "s1" && started.causationID == "s1" && started.timeMs == 5 && started.type == "SagaStarted")
        let registered = SagaEvent.definitionRegistered(.init(type: "t", fingerprint: "f", definition: [:])).newEvent(timeMs: 5)
        #expect(registered.correlationID == nil && registered.causationID == nil)
    }

    @Test func aPayloadIsReadStrictly() {
        func refusal(_ type: SagaEventType, _ text: String) -> SagaEventError? {
            do { _ = try SagaEvent(type: type, data: try JSONParser.parse(Array(text.utf8))) } catch let error as SagaEventError {
                return error
            } catch { return nil }
            return nil
        }
        #expect(refusal(.stepSucceeded, #"{"step":1,"name":"n","result":{}}"#) == .missing("command_id"))
        #expect(refusal(.stepSucceeded, #"{"step":"1","name":"n","command_id":"c","result":{}}"#)?.description == "step must be an integer")
        #expect(refusal(.stepFailed, #"{"step":1,"name":"n","command_id":"c","reason":"r","message":"m","exhausted":1}"#)
                == .wrongKind("exhausted", expected: "a boolean"))
        #expect(refusal(.stepRetrying, #"{"command_id":"c","role":{"kind":"undo","step":1},"name":"n","attempt":2,"reason":"r","delay_ms":1}"#)
                == .wrongKind("role.kind", expected: "action, compensation or completion"))
        #expect(refusal(.sagaResumed, "[1]") == .notAnObject)
        #expect(refusal(.sagaCompensated, #"{"duration_ms":1,"failure":3}"#) == .wrongKind("failure", expected: "a string or null"))
        // Members beyond the payload's are ignored (a timeline entry carries its `event`, `seq` and `time_ms`).
        #expect(refusal(.sagaResumed, #"{"round":2,"event":"SagaResumed","seq":9}"#) == nil)
    }

    @Test func streamNamesAreBuiltAndReadBackInOnePlace() {
        #expect(SagaStream.saga("a-b/c").description == "saga-a-b/c")
        #expect(SagaStream("saga-a-b/c") == .saga("a-b/c"))
        #expect(SagaStream("definition-00ff") == .definition("00ff"))
        #expect(SagaStream("$retired") == nil)
        #expect(SagaStream.sagaID(in: "definition-00ff") == nil)
        #expect(SagaStream.sagaID(in: "saga-") == "")
    }
}
