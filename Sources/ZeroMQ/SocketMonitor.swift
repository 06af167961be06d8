import CZeroMQ

/// Connection events a socket can report through ``ZMQSocket/monitor(_:events:)``.
public struct SocketEvents: OptionSet, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// A peer connected to a bound socket.
    public static let accepted = SocketEvents(rawValue: ZMQ_EVENT_ACCEPTED)
    /// A connection closed.
    public static let disconnected = SocketEvents(rawValue: ZMQ_EVENT_DISCONNECTED)
    /// The security handshake failed for a reason libzmq does not detail (often a dropped peer).
    public static let handshakeFailedNoDetail = SocketEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
    /// The security handshake succeeded.
    public static let handshakeSucceeded = SocketEvents(rawValue: ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
    /// The peer broke the protocol, e.g. a plaintext client at a CURVE server (mechanism mismatch).
    public static let handshakeFailedProtocol = SocketEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
    /// The authentication handler refused the peer.
    public static let handshakeFailedAuth = SocketEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
    /// Every failed handshake.
    public static let handshakeFailures: SocketEvents = [.handshakeFailedNoDetail, .handshakeFailedProtocol, .handshakeFailedAuth]
}

/// One event read from a monitor socket.
public struct SocketEvent: Sendable, Equatable {
    /// What happened (a single flag).
    public let event: SocketEvents
    /// The event's value: for handshake failures the protocol error or ZAP status code.
    public let value: UInt32
    /// The endpoint the event concerns (the peer's address for accepted connections).
    public let endpoint: String

    /// Decodes the two frames libzmq sends on a monitor socket (a 6-byte event and value,
    /// then the endpoint), or `nil` when they are not such a pair.
    public init?(frames: [[UInt8]]) {
        guard frames.count == 2, frames[0].count == 6 else { return nil }
        let bytes = frames[0]
        // libzmq writes both numbers in host byte order (little-endian on the platforms we run on).
        let event = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
        value = UInt32(bytes[2]) | UInt32(bytes[3]) << 8 | UInt32(bytes[4]) << 16 | UInt32(bytes[5]) << 24
        self.event = SocketEvents(rawValue: Int32(event))
        endpoint = String(decoding: frames[1], as: UTF8.self)
    }

    /// Whether the protocol error is a security-mechanism mismatch (a plaintext client at a
    /// CURVE server, or the reverse).
    public var isMechanismMismatch: Bool {
        event == .handshakeFailedProtocol && Int32(bitPattern: value) == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH
    }
}

extension ZMQSocket {
    /// Starts reporting `events` of this socket on a PAIR socket bound at `endpoint` (an
    /// `inproc://` address), and returns that PAIR socket connected and ready to read. Read it
    /// with ``tryReceive()`` and decode with ``SocketEvent/init(frames:)``.
    public func monitor(_ endpoint: String, events: SocketEvents) throws -> ZMQSocket {
        try check(zmq_socket_monitor(handle, endpoint, events.rawValue), "zmq_socket_monitor(\(endpoint))")
        let pair = try ZMQSocket(context, .pair)
        try pair.connect(endpoint)
        return pair
    }

    /// Stops the monitor started by ``monitor(_:events:)``.
    public func stopMonitor() {
        _ = zmq_socket_monitor(handle, nil, 0)
    }
}
