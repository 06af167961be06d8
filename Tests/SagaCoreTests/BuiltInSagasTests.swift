import BuiltInSagas
import Foundation
import SagaWire
import Testing
@testable import SagaCore

/// The order saga is data: a definitions file built beside the executables. It reads back as
/// the definition every logged order saga names (same fingerprint), names its stock service,
/// and its absence or corruption is an error that says where it looked.
@Suite struct BuiltInSagasFileTests {
    @Test func theOrderSagaFileIsTheDefinitionTheLogsName() throws {
        let order = try #require(try BuiltInSagas.load().first)
        #expect(order.type == "order" && order.context == .order && order.stockService == "inventory")
        // Logged order sagas name this fingerprint (Tests/Fixtures): their definition is unchanged.
        #expect(order.fingerprint == "864db96ab7ed2e5d")
        #expect(order.graph.nodes.map(\.step.service) == ["order", "inventory", "payment", "shipping"])
        #expect(SagaDefinition.order == order)
    }

    @Test func aMissingFileNamesWhereItWasLookedFor() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("builtins-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        do {
            _ = try BuiltInSagas.load(beside: empty)
            Issue.record("loaded from an empty directory")
        } catch {
            guard case .notFound(let paths) = error else { Issue.record("\(error)"); return }
            #expect(paths == [empty.appendingPathComponent("ZSaga_BuiltInSagas.resources/order.json").path,
                              empty.appendingPathComponent("order.json").path])
            #expect(error.description.contains("not installed"))
        }
        try Data(#"[{"type": "order", "context": "order", "stock_service": "in ventory", "steps": []}]"#.utf8)
            .write(to: empty.appendingPathComponent("order.json"))
        do {
            _ = try BuiltInSagas.load(beside: empty)
            Issue.record("loaded a broken file")
        } catch {
            guard case .invalid(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == empty.appendingPathComponent("order.json").path)
            #expect(error.description.contains("definition.stock_service") || error.description.contains("definitions[0]"))
        }
    }

    @Test func aStockServiceBelongsToTheOrderContextAndNotToTheFingerprint() throws {
        let steps = #"[{"name": "a", "service": "s", "action": "A"}]"#
        let with = try SagaDefinition.parse(try JSONParser.parse(Array(#"{"type": "t", "context": "order", "stock_service": "stock", "steps": \#(steps)}"#.utf8)), path: "definition")
        let without = try SagaDefinition.parse(try JSONParser.parse(Array(#"{"type": "t", "context": "order", "steps": \#(steps)}"#.utf8)), path: "definition")
        #expect(with.stockService == "stock" && without.stockService == nil)
        #expect(with.fingerprint == without.fingerprint && with.json == without.json)
        #expect(without.asking(stockService: "stock") == with)
        do {
            _ = try SagaDefinition.parse(try JSONParser.parse(Array(#"{"type": "t", "stock_service": "stock", "steps": \#(steps)}"#.utf8)), path: "definition")
            Issue.record("a stock service without the order context was accepted")
        } catch let error as WireError {
            #expect(error.field == "definition.stock_service")
        }
    }
}
