import Foundation
import Testing
@testable import ServiceKit

@Suite struct CurveKeysTests {
    let secret = "0123456789abcdef-test-secret"

    @Test func keysDerivedFromASecretAreTheSameEverywhereAndDifferPerName() throws {
        let saga = try CurveKeys.derived(secret: secret, name: "saga")
        let order = try CurveKeys.derived(secret: secret, name: "order")
        #expect(saga.servers["order"] == order.own.publicKey)
        #expect(order.servers["saga"] == saga.own.publicKey)
        #expect(saga.own != order.own)
        #expect(saga.authorized[order.own.publicKey] == "order")
        #expect(saga.authorized.count == Topology.builtIn.keyNames.count)
        #expect(try CurveKeys.derived(secret: secret, name: "saga").own == saga.own)
        #expect(try CurveKeys.derived(secret: secret + "x", name: "saga").own != saga.own)
        #expect(throws: CurveKeysError.self) { try CurveKeys.derived(secret: "short", name: "saga") }
    }

    @Test func clusterKeyFilesMatchTheDerivedKeysAndRandomOnesDoNot() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zsaga-keys-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try CurveKeys.generateCluster(in: "\(directory)/derived", secret: secret)
        let loaded = try CurveKeys.load(directory: "\(directory)/derived", name: "payment")
        let derived = try CurveKeys.derived(secret: secret, name: "payment")
        #expect(loaded.own == derived.own)
        #expect(loaded.servers["saga"] == derived.servers["saga"])
        #expect(Set(loaded.authorized.keys) == Set(derived.authorized.keys))
        let mode = try FileManager.default.attributesOfItem(atPath: "\(directory)/derived/payment.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)

        try CurveKeys.generateCluster(in: "\(directory)/random", secret: nil)
        #expect(try CurveKeys.load(directory: "\(directory)/random", name: "payment").own != derived.own)
        #expect(throws: CurveKeysError.self) { try CurveKeys.load(directory: "\(directory)/nowhere", name: "payment") }
        #expect(CurveKeys.fingerprint(derived.own.publicKey).count == 13)
    }
}
