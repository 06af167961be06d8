import SagaWire
import ServiceModel
import Testing
@testable import HostCore
@testable import ServiceKit

@Suite struct FaultSpecTests {
    @Test func parsesEveryKindOfFault() throws {
        let spec = try FaultSpec.parse("fail=payment.ChargePayment:0.25, delay=*:150ms,drop-reply=0.1,drop-publish=0.3,crash=after-log:0.01,crash=before-commit:0.5,crash=after-send-ahead:0.2,seed=9")
        #expect(spec.failRates == ["payment.ChargePayment": 0.25])
        #expect(spec.delays == ["*": 150])
        #expect(spec.dropReplyRate == 0.1 && spec.dropPublishRate == 0.3)
        #expect(spec.crashRates == [.afterCommit: 0.01, .beforeCommit: 0.5, .afterSendAhead: 0.2])
        #expect(spec.seed == 9)
        #expect(!spec.isEmpty)
        #expect(try FaultSpec.parse("").isEmpty)
        #expect(try FaultSpec.parse("clear").isEmpty)
    }

    @Test(arguments: ["fail=x", "fail=x:2", "delay=*:-1", "drop-reply=1.5", "crash=during-lunch:0.1", "seed=-3", "explode=1", "nonsense"])
    func refusesBadSpecsWithTheEntryNamed(_ text: String) {
        do {
            _ = try FaultSpec.parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.field == "body.spec")
        }
    }

    @Test func injectedChoicesRepeatForASeedAndFollowTheRates() throws {
        let spec = try FaultSpec.parse("fail=a:0.3,drop-reply=0.5,crash=before-commit:0.1,seed=4")
        var first = FaultInjector(spec), second = FaultInjector(spec)
        var a: [Bool] = [], b: [Bool] = []
        for _ in 0..<1000 {
            a.append(first.fails("a")); a.append(first.dropsReply()); a.append(first.crashes(at: .beforeCommit))
            b.append(second.fails("a")); b.append(second.dropsReply()); b.append(second.crashes(at: .beforeCommit))
        }
        #expect(a == b)
        #expect(abs(Double(first.injected["fail", default: 0]) / 1000 - 0.3) < 0.06)
        #expect(abs(Double(first.injected["drop-reply", default: 0]) / 1000 - 0.5) < 0.06)
        #expect(abs(Double(first.injected["crash", default: 0]) / 1000 - 0.1) < 0.04)
        // Only the named action fails; `*` matches every command type.
        #expect(!(0..<100).contains { _ in first.fails("b") })
        var all = FaultInjector(try FaultSpec.parse("fail=*:1,delay=*:20"))
        #expect(all.fails("anything") && all.delay("anything") == 20)
        // No crash point fires without a rate.
        var quiet = FaultInjector()
        #expect(!(0..<1000).contains { _ in quiet.crashes(at: .afterCommit) || quiet.dropsPublish() })
    }
}
