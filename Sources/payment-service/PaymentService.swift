import ArgumentParser
import Domain
import ServiceKit

/// `payment-service`: payments charged, declined and refunded.
@main
struct PaymentService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payment-service",
        abstract: "ZSaga's payment service: an event-sourced log of payments, served over ZeroMQ.")

    @OptionGroup var options: ServiceOptions

    @Option(help: "Share of payments declined, 0 to 1, chosen by a seeded hash of the order id. Env: ZSAGA_DECLINE_RATE. Default: 0.3.")
    var declineRate: Double?

    @Option(help: "Seed of the decline hash. Env: ZSAGA_DECLINE_SEED. Default: 0.")
    var declineSeed: UInt64?

    func run() async throws {
        let rate = try setting(declineRate, env: "ZSAGA_DECLINE_RATE", must: "a number between 0 and 1", where: { $0.isFinite && (0...1).contains($0) })
            ?? 0.3
        let seed = try setting(declineSeed, env: "ZSAGA_DECLINE_SEED", must: "an unsigned integer") ?? 0
        let policy = DeclinePolicy(rate: rate, seed: seed)
        try await ServiceMain.run({ PaymentCore(declinePolicy: policy) }, options: options)
    }
}
