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
        let rate = try declineRate ?? environment("ZSAGA_DECLINE_RATE").map { text in
            guard let value = Double(text) else { throw ValidationError("ZSAGA_DECLINE_RATE must be a number, got \(text)") }
            return value
        } ?? 0.3
        guard rate.isFinite, (0...1).contains(rate) else { throw ValidationError("--decline-rate must be between 0 and 1, got \(rate)") }
        let seed = try declineSeed ?? environment("ZSAGA_DECLINE_SEED").map { text in
            guard let value = UInt64(text) else { throw ValidationError("ZSAGA_DECLINE_SEED must be an unsigned integer, got \(text)") }
            return value
        } ?? 0
        let policy = DeclinePolicy(rate: rate, seed: seed)
        try await ServiceMain.run({ PaymentCore(declinePolicy: policy) }, options: options)
    }
}
