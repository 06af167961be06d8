import Foundation
import Logging
import ServiceLifecycle

/// Runs a reactor on its own thread as a ServiceLifecycle `Service`.
///
/// The reactor owns every socket, so it must live on one thread; `body` creates it there.
/// Graceful shutdown (SIGTERM, SIGINT through `ServiceGroup`) posts ``ControlMessage/stop`` to
/// the reactor's mailbox: it finishes its batch, closes its sockets and returns.
public struct ReactorService: Service {
    private let name: String
    private let body: @Sendable (Mailbox<ControlMessage>) throws -> Void

    /// - Parameters:
    ///   - name: the thread's name.
    ///   - body: builds the reactor and runs it until the mailbox says stop.
    public init(name: String, _ body: @escaping @Sendable (Mailbox<ControlMessage>) throws -> Void) {
        self.name = name
        self.body = body
    }

    public func run() async throws {
        let mailbox = try Mailbox<ControlMessage>()
        let body = self.body
        let name = self.name
        try await withGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                let thread = Thread {
                    do {
                        try body(mailbox)
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                thread.name = name
                thread.stackSize = 8 << 20
                thread.start()
            }
        } onGracefulShutdown: {
            mailbox.post(.stop)
        }
    }
}

/// Runs services until SIGTERM or SIGINT, then shuts them down gracefully.
public func runUntilSignalled(_ services: [any Service], logger: Logger) async throws {
    let group = ServiceGroup(configuration: .init(
        services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))
    try await group.run()
}
