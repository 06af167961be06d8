import Foundation
import SagaClient
import SagaWire
import ServiceKit

/// How the HTTP side (async, on NIO's threads) reaches the reactors: requests go through a
/// queue to one gateway thread that owns the ZeroMQ sockets (a ``ClusterClient``) and asks
/// the processes over their ROUTERs, the monitor's own included.
public final class ClusterGateway: Sendable {
    /// Work for the gateway thread: it runs with the client (`nil` if it could not be made).
    private typealias Work = @Sendable (ClusterClient?) -> Void

    private let queue = LockedValue<[Work]>([])
    private let ready = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - keys: the monitor's CURVE keys, for a secured cluster.
    ///   - serverNames: the process behind each endpoint.
    public init(keys: CurveKeys? = nil, serverNames: [String: String] = [:]) {
        let queue = self.queue
        let ready = self.ready
        let thread = Thread {
            let client = try? ClusterClient(timeoutMs: 2000, keys: keys, serverNames: serverNames)
            while true {
                ready.wait()
                guard let work = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
                work(client)
            }
        }
        thread.name = "dashboard-gateway"
        thread.start()
    }

    private func run<Value: Sendable>(_ body: @escaping @Sendable (ClusterClient) throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            queue.withLock { $0.append { client in
                guard let client else { return continuation.resume(throwing: ClientError.unexpected("no ZeroMQ context")) }
                continuation.resume(with: Result { try body(client) })
            } }
            ready.signal()
        }
    }

    /// Runs a query at `endpoint` and returns its result body.
    public func query(_ endpoint: String, _ type: String, _ body: JSON = [:], timeoutMs: Int = 2000) async throws -> JSON {
        try await run { try $0.query(endpoint, type, body, timeoutMs: timeoutMs) }
    }

    /// Runs several queries at once (``ClusterClient/queries(_:timeoutMs:)``): the answers come
    /// in the time of the slowest, not the sum.
    public func queries(_ requests: [ClusterClient.QueryRequest], timeoutMs: Int = 2000) async throws -> [Result<JSON, ClientError>] {
        try await run { $0.queries(requests, timeoutMs: timeoutMs) }
    }
}
