import ArgumentParser
import Domain
import ServiceKit

/// `shipping-service`: shipments created and cancelled.
@main
struct ShippingService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shipping-service",
        abstract: "ZSaga's shipping service: an event-sourced log of shipments, served over ZeroMQ.")

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await ServiceMain.run({ ShippingCore() }, options: options)
    }
}
