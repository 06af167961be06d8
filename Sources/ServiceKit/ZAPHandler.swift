import CoreMetrics
import Logging
import ZeroMQ

/// The ZeroMQ authentication handler (ZAP, RFC 27) of a process, served by its reactor: it admits
/// CURVE clients whose public key is on the allow-list and refuses everyone else. Rejections
/// are logged with the key's fingerprint and counted.
public final class ZAPHandler {
    /// The ZAP domain every ZSaga server socket uses.
    public static let domain = "zsaga"
    /// The socket, for the reactor's poller. It must be bound before any server socket.
    public let socket: ZMQSocket
    private var allowed: [String: String]
    private let logger: Logger
    private let rejected = CoreMetrics.Counter(label: "zsaga_auth_rejected_total")
    private let admitted = CoreMetrics.Counter(label: "zsaga_auth_admitted_total")
    /// Connections refused so far.
    public private(set) var rejections = 0

    public init(context: ZMQContext, keys: CurveKeys, logger: Logger) throws {
        socket = try ZMQSocket(context, .rep)
        try socket.bind("inproc://zeromq.zap.01")
        allowed = keys.authorized
        self.logger = logger
    }

    /// Answers every pending authentication request (non-blocking).
    public func serve() {
        while let request = try? socket.tryReceive() {
            // version, request id, domain, address, identity, mechanism, credentials…
            guard request.count >= 6 else { continue }
            let version = request[0], requestID = request[1]
            let mechanism = String(decoding: request[5], as: UTF8.self)
            var status = "400", text = "unknown client key", user = ""
            if String(decoding: version, as: UTF8.self) != "1.0" {
                text = "unsupported ZAP version"
            } else if mechanism == "CURVE", request.count >= 7, request[6].count == 32, let key = try? CurveKeyPair.encode(request[6]) {
                if let name = allowed[key] {
                    status = "200"
                    text = "OK"
                    user = name
                    admitted.increment()
                } else {
                    rejections += 1
                    rejected.increment()
                    logger.warning("refused a connection: unknown client key", metadata: [
                        "key": "\(CurveKeys.fingerprint(key))", "address": "\(String(decoding: request[3], as: UTF8.self))",
                    ])
                }
            } else {
                rejections += 1
                rejected.increment()
                text = "CURVE required"
                logger.warning("refused a connection without CURVE", metadata: ["mechanism": "\(mechanism)"])
            }
            _ = try? socket.send([version, requestID, Array(status.utf8), Array(text.utf8), Array(user.utf8), []])
        }
    }
}
