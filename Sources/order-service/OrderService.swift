import ArgumentParser
import Domain
import ServiceKit

/// `order-service`: orders created, confirmed and cancelled.
@main
struct OrderService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "order-service",
        abstract: "ZSaga's order service: an event-sourced log of orders, served over ZeroMQ.")

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await ServiceMain.run({ OrderCore() }, options: options)
    }
}
