import Foundation
import SagaClient
import SagaWire
import ServiceKit

/// How the HTTP side (async, on NIO's threads) reaches the reactors: requests go through a
/// queue to one gateway thread that owns the ZeroMQ sockets (a ``ClusterClient``) and asks
/// the processes over their ROUTERs, the monitor's own included.
public final class ClusterGateway: Sendable {
    private struct Request: Sendable {
        var endpoint: String
        var type: String
        var body: JSON
        var timeoutMs: Int
        var reply: @Sendable (Result<JSON, Error>) -> Void
    }

    private let queue = LockedValue<[Request]>([])
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
                guard let request = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
                guard let client else {
                    request.reply(.failure(ClientError.unexpected("no ZeroMQ context")))
                    continue
                }
                do {
                    request.reply(.success(try client.query(request.endpoint, request.type, request.body, timeoutMs: request.timeoutMs)))
                } catch {
                    request.reply(.failure(error))
                }
            }
        }
        thread.name = "dashboard-gateway"
        thread.start()
    }

    /// Runs a query at `endpoint` and returns its result body.
    public func query(_ endpoint: String, _ type: String, _ body: JSON = [:], timeoutMs: Int = 2000) async throws -> JSON {
        try await withCheckedThrowingContinuation { continuation in
            queue.withLock { $0.append(Request(endpoint: endpoint, type: type, body: body, timeoutMs: timeoutMs) { result in
                continuation.resume(with: result)
            }) }
            ready.signal()
        }
    }
}
