import ArgumentParser
import ServiceKit

/// `loyalty-service`: the system tests' fifth service (``LoyaltyCore``).
@main
struct LoyaltyService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "loyalty-service",
                                                    abstract: "A loyalty-points participant, built from ServiceKit for the system tests.")

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await ServiceMain.run({ LoyaltyCore() }, options: options)
    }
}
