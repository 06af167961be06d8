import Foundation
import SagaWire
import ClusterKeys
import ZeroMQ

/// A synchronous client of ZSaga processes: one DEALER per endpoint, requests with timeouts.
///
/// Like every socket owner it stays on the thread that made it.
public final class ClusterClient {
    private let context: ZMQContext
    private var sockets: [String: ZMQSocket] = [:]
    /// Milliseconds to wait for an answer.
    public var timeoutMs: Int
    private var counter = 0
    private let prefix = "c\(UInt32.random(in: 0...UInt32.max))"

    private let keys: CurveKeys?
    private let serverNames: [String: String]

    /// - Parameters:
    ///   - keys: this client's CURVE keys, for a secured cluster.
    ///   - serverNames: the process name behind each endpoint, to pick its public key.
    public init(timeoutMs: Int = 5000, keys: CurveKeys? = nil, serverNames: [String: String] = [:]) throws {
        do { context = try ZMQContext() } catch let error as ZMQError { throw ClientError.transport(error) }
        self.timeoutMs = timeoutMs
        self.keys = keys
        self.serverNames = serverNames
    }

    /// A fresh request id.
    public func nextID(_ kind: String = "q") -> String {
        counter += 1
        return "\(prefix)-\(kind)\(counter)"
    }

    private func socket(_ endpoint: String) throws -> ZMQSocket {
        if let socket = sockets[endpoint] { return socket }
        do {
            let socket = try ZMQSocket(context, .dealer)
            try socket.setReceiveHighWaterMark(0)
            try socket.setSendHighWaterMark(0)
            if let keys {
                guard let name = serverNames[endpoint] else {
                    throw ClientError.unexpected("no process name (hence no public key) for \(endpoint)")
                }
                do { try keys.secureClient(socket, server: name) } catch { throw ClientError.unexpected("\(error)") }
            }
            try socket.connect(endpoint)
            sockets[endpoint] = socket
            return socket
        } catch let error as ZMQError {
            throw ClientError.transport(error)
        }
    }

    /// Sends a request and waits for the answer with the same id (older answers are skipped).
    public func request(_ endpoint: String, _ message: WireMessage, id: String, timeoutMs: Int? = nil) throws -> WireMessage {
        let wait = timeoutMs ?? self.timeoutMs
        let socket = try socket(endpoint)
        do {
            try socket.send([WireCodec.encode(message)])
            let deadline = Date().addingTimeInterval(Double(wait) / 1000)
            while true {
                let remaining = Int(deadline.timeIntervalSinceNow * 1000)
                guard remaining > 0 else { break }
                var poller = ZMQPoller()
                poller.add(socket)
                if try poller.poll(timeout: remaining) == 0 { break }
                guard let frames = try socket.tryReceive(), let body = frames.last else { continue }
                let answer: WireMessage
                do { answer = try WireCodec.decode(body) } catch { throw ClientError.unexpected("\(error)") }
                switch answer {
                case .reply(let reply) where reply.inReplyTo == id: return answer
                case .result(let result) where result.inReplyTo == id: return answer
                case .error(let error) where error.inReplyTo == id || error.inReplyTo == nil: return answer
                default: continue
                }
            }
        } catch let error as ZMQError {
            throw ClientError.transport(error)
        }
        // A dead peer's queued request would be delivered when it comes back; drop it instead.
        drop(endpoint)
        throw ClientError.unreachable(endpoint: endpoint, waitedMs: wait)
    }

    /// Runs a query and returns its result body; a protocol error is thrown as ``ClientError/refused(_:)``.
    public func query(_ endpoint: String, _ type: String, _ body: JSON = [:], timeoutMs: Int? = nil) throws -> JSON {
        let id = nextID()
        switch try request(endpoint, .query(Query(id: id, type: type, body: body)), id: id, timeoutMs: timeoutMs) {
        case .result(let result): return result.body
        case .error(let error): throw ClientError.refused(error)
        case let other: throw ClientError.unexpected(other.kind)
        }
    }

    /// Sends a command and returns its reply; a protocol error is thrown as ``ClientError/refused(_:)``.
    public func command(_ endpoint: String, _ type: String, id: String? = nil, _ body: JSON, timeoutMs: Int? = nil) throws -> Reply {
        let id = id ?? nextID("cmd")
        switch try request(endpoint, .command(Command(id: id, type: type, body: body)), id: id, timeoutMs: timeoutMs) {
        case .reply(let reply): return reply
        case .error(let error): throw ClientError.refused(error)
        case let other: throw ClientError.unexpected(other.kind)
        }
    }

    /// One query of ``queries(_:timeoutMs:)``.
    public struct QueryRequest: Sendable {
        public var endpoint: String
        public var type: String
        public var body: JSON
        public init(_ endpoint: String, _ type: String, _ body: JSON = [:]) {
            self.endpoint = endpoint
            self.type = type
            self.body = body
        }
    }

    /// Runs several queries at once, each process answering in its own time: they are all sent
    /// first, then their answers collected, so the whole takes as long as the slowest (not the
    /// sum). Each result is its body, or why it failed (a process that does not answer within
    /// the timeout is ``ClientError/unreachable(endpoint:waitedMs:)``; the others still answer).
    public func queries(_ requests: [QueryRequest], timeoutMs: Int? = nil) -> [Result<JSON, ClientError>] {
        let wait = timeoutMs ?? self.timeoutMs
        var results = [Result<JSON, ClientError>?](repeating: nil, count: requests.count)
        var pending: [String: Int] = [:]
        var listening: [String: ZMQSocket] = [:]
        for (index, request) in requests.enumerated() {
            let id = nextID()
            do {
                let socket = try socket(request.endpoint)
                do { try socket.send([WireCodec.encode(.query(Query(id: id, type: request.type, body: request.body)))]) } catch let error as ZMQError {
                    throw ClientError.transport(error)
                }
                pending[id] = index
                listening[request.endpoint] = socket
            } catch let error as ClientError {
                results[index] = .failure(error)
            } catch {
                results[index] = .failure(.unexpected("\(error)"))
            }
        }
        let deadline = Date().addingTimeInterval(Double(wait) / 1000)
        let sockets = Array(listening.values)
        collect: while !pending.isEmpty {
            let remaining = Int(deadline.timeIntervalSinceNow * 1000)
            guard remaining > 0 else { break }
            var poller = ZMQPoller()
            for socket in sockets { poller.add(socket) }
            guard (try? poller.poll(timeout: remaining)) ?? 0 > 0 else { break }
            for socket in sockets {
                while let frames = try? socket.tryReceive(), let body = frames.last {
                    guard let answer = try? WireCodec.decode(body) else { continue }
                    switch answer {
                    case .result(let result):
                        if let index = pending.removeValue(forKey: result.inReplyTo) { results[index] = .success(result.body) }
                    case .error(let error):
                        if let id = error.inReplyTo, let index = pending.removeValue(forKey: id) { results[index] = .failure(.refused(error)) }
                    default:
                        continue
                    }
                    if pending.isEmpty { break collect }
                }
            }
        }
        // As in ``request(_:_:id:timeoutMs:)``: a silent peer's socket is dropped, not left queued.
        for (_, index) in pending {
            let endpoint = requests[index].endpoint
            results[index] = .failure(.unreachable(endpoint: endpoint, waitedMs: wait))
            drop(endpoint)
        }
        return results.map { $0 ?? .failure(.unexpected("no answer")) }
    }

    private func drop(_ endpoint: String) {
        sockets.removeValue(forKey: endpoint)?.close()
    }

    /// Every item of a paged list query (`<name>` array plus `next` cursor).
    public func all(_ endpoint: String, _ type: String, key: String, _ body: [String: JSON] = [:]) throws -> [JSON] {
        var items: [JSON] = []
        var after: JSON = .null
        repeat {
            var request = body
            request["limit"] = 1000
            if !after.isNull { request["after"] = after }
            let page = try query(endpoint, type, .object(request))
            items += page[key]?.arrayValue ?? []
            after = page["next"] ?? .null
        } while !after.isNull
        return items
    }
}
