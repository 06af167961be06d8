import CoreMetrics
import Logging
import ZeroMQ

/// The ZeroMQ authentication handler (ZAP, RFC 27) of a process, served by its reactor: it admits
/// CURVE clients whose public key is on the allow-list and refuses everyone else. Rejections
/// are logged with the key's fingerprint and counted; so are clients turned away before ZAP is
/// asked (a plaintext client at a CURVE socket), seen through the server sockets' monitors.
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
    /// Monitors of the watched server sockets, with the socket's label.
    private var monitors: [(socket: ZMQSocket, label: String)] = []
    private let context: ZMQContext

    /// Every socket the reactor must poll (the handler's and its monitors'); call ``serve()``
    /// when any is readable.
    public var sockets: [ZMQSocket] { [socket] + monitors.map(\.socket) }

    public init(context: ZMQContext, keys: CurveKeys, logger: Logger) throws {
        socket = try ZMQSocket(context, .rep)
        try socket.bind("inproc://zeromq.zap.01")
        allowed = keys.authorized
        self.logger = logger
        self.context = context
    }

    /// Watches a CURVE server socket for handshakes that fail before ZAP is asked, such as a
    /// plaintext client (security mechanism mismatch), to log and count them.
    public func watch(_ server: ZMQSocket, label: String) throws {
        let monitor = try server.monitor("inproc://zsaga.handshakes.\(label)", events: [.handshakeFailedProtocol, .handshakeFailedNoDetail])
        monitors.append((monitor, label))
    }

    /// Closes the handler's sockets.
    public func close() {
        for monitor in monitors { monitor.socket.close() }
        socket.close()
    }

    /// Answers every pending authentication request and reads the monitors (non-blocking).
    public func serve() {
        for monitor in monitors {
            while let frames = try? monitor.socket.tryReceive() {
                guard let event = SocketEvent(frames: frames) else { continue }
                rejections += 1
                rejected.increment()
                let message = event.isMechanismMismatch ? "refused a connection without CURVE" : "refused a connection: handshake failed"
                warn(message, about: "\(monitor.label) \(message)",
                     ["socket": "\(monitor.label)", "endpoint": "\(event.endpoint)", "error": "\(event.value)"])
            }
        }
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
                    warn("refused a connection: unknown client key", about: key, [
                        "key": "\(CurveKeys.fingerprint(key))", "address": "\(String(decoding: request[3], as: UTF8.self))",
                    ])
                }
            } else {
                rejections += 1
                rejected.increment()
                text = "CURVE required"
                warn("refused a connection without CURVE", about: "zap \(mechanism)", ["mechanism": "\(mechanism)"])
            }
            _ = try? socket.send([version, requestID, Array(status.utf8), Array(text.utf8), Array(user.utf8), []])
        }
    }

    /// When each kind of refusal was last logged, and how many were not logged since: a client
    /// that keeps reconnecting is logged once per ``warnEveryMs`` with a count, not per attempt.
    private var warned: [String: (atMs: Int64, suppressed: Int)] = [:]
    private let warnEveryMs: Int64 = 10_000

    private func warn(_ message: String, about subject: String, _ metadata: Logger.Metadata) {
        let now = monotonicMs()
        if let last = warned[subject], now - last.atMs < warnEveryMs {
            warned[subject]?.suppressed += 1
            return
        }
        var metadata = metadata
        if let suppressed = warned[subject]?.suppressed, suppressed > 0 { metadata["repeated"] = "\(suppressed)" }
        if warned.count >= 1024 { warned.removeAll() }  // bounded under a flood of distinct keys
        warned[subject] = (now, 0)
        logger.warning("\(message)", metadata: metadata)
    }
}
