import ArgumentParser
import Domain
import ServiceKit

/// `inventory-service`: stock per item and reservations per order.
@main
struct InventoryService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory-service",
        abstract: "ZSaga's inventory service: an event-sourced log of stock and reservations, served over ZeroMQ.")

    @OptionGroup var options: ServiceOptions

    @Option(help: """
        Starting stock as ITEM:QTY,… for items the log has no stock for yet. \
        Env: ZSAGA_STOCK. Default: item1:100,item2:50,item3:25.
        """)
    var stock: String?

    func run() async throws {
        let text = try setting(stock, env: "ZSAGA_STOCK")
        let initial = try text.map(StockSpec.parse) ?? InventoryCore.defaultStock
        try await ServiceMain.run({ InventoryCore(initialStock: initial) }, options: options)
    }
}
