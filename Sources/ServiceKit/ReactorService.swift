import Foundation
import Logging
import ServiceLifecycle

/// Runs a reactor on its own thread as a ServiceLifecycle `Service`.
///
/// The reactor owns every socket, so it must live on one thread; `body` creates it there.
/// Graceful shutdown (SIGTERM, SIGINT through `ServiceGroup`) posts ``ControlMessage/stop`` to
/// the reactor's mailbox: it finishes its batch, closes its sockets and returns. So does
/// cancellation, when another service of the group fails.
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
        // Stop on graceful shutdown (a signal) and on cancellation (another service of the
        // group failed, e.g. the dashboard could not bind its port): the process must exit, not
        // keep a reactor running with nothing to stop it.
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await runThread(mailbox: mailbox, name: name, body: body)
            } onGracefulShutdown: {
                mailbox.post(.stop)
            }
        } onCancel: {
            mailbox.post(.stop)
        }
    }

    private func runThread(mailbox: Mailbox<ControlMessage>, name: String,
                           body: @escaping @Sendable (Mailbox<ControlMessage>) throws -> Void) async throws {
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
