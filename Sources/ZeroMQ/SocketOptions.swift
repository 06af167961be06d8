import CZeroMQ

/// The socket options ZSaga relies on, as typed accessors.
extension ZMQSocket {
    /// Milliseconds unsent messages are kept after close (`ZMQ_LINGER`); `0` discards them.
    public func setLinger(_ milliseconds: Int32) throws {
        try setInt32(ZMQ_LINGER, milliseconds, "ZMQ_LINGER")
    }

    /// Outgoing queue limit in messages (`ZMQ_SNDHWM`); `0` means no limit.
    public func setSendHighWaterMark(_ messages: Int32) throws {
        try setInt32(ZMQ_SNDHWM, messages, "ZMQ_SNDHWM")
    }

    /// Incoming queue limit in messages (`ZMQ_RCVHWM`); `0` means no limit.
    public func setReceiveHighWaterMark(_ messages: Int32) throws {
        try setInt32(ZMQ_RCVHWM, messages, "ZMQ_RCVHWM")
    }

    /// On a ROUTER, report `EHOSTUNREACH` for an unknown routing id instead of dropping silently.
    public func setRouterMandatory(_ on: Bool) throws {
        try setInt32(ZMQ_ROUTER_MANDATORY, on ? 1 : 0, "ZMQ_ROUTER_MANDATORY")
    }

    /// Queue messages only to completed connections (`ZMQ_IMMEDIATE`).
    public func setImmediate(_ on: Bool) throws {
        try setInt32(ZMQ_IMMEDIATE, on ? 1 : 0, "ZMQ_IMMEDIATE")
    }

    /// Largest inbound message in bytes (`ZMQ_MAXMSGSIZE`); a peer sending more is disconnected.
    /// `-1` means no limit.
    public func setMaxMessageSize(_ bytes: Int64) throws {
        try setInt64(ZMQ_MAXMSGSIZE, bytes, "ZMQ_MAXMSGSIZE")
    }

    /// ZMTP heartbeats: send a PING every `interval` ms, drop the connection when nothing arrives
    /// for `timeout` ms, and ask the peer to time out after `ttl` ms (rounded to 100 ms).
    public func setHeartbeat(interval: Int32, timeout: Int32, ttl: Int32) throws {
        try setInt32(ZMQ_HEARTBEAT_IVL, interval, "ZMQ_HEARTBEAT_IVL")
        try setInt32(ZMQ_HEARTBEAT_TIMEOUT, timeout, "ZMQ_HEARTBEAT_TIMEOUT")
        try setInt32(ZMQ_HEARTBEAT_TTL, ttl, "ZMQ_HEARTBEAT_TTL")
    }

    /// Milliseconds a blocking receive waits before failing with `EAGAIN`; `-1` waits forever.
    public func setReceiveTimeout(_ milliseconds: Int32) throws {
        try setInt32(ZMQ_RCVTIMEO, milliseconds, "ZMQ_RCVTIMEO")
    }

    /// Milliseconds a blocking send waits before failing with `EAGAIN`; `-1` waits forever.
    public func setSendTimeout(_ milliseconds: Int32) throws {
        try setInt32(ZMQ_SNDTIMEO, milliseconds, "ZMQ_SNDTIMEO")
    }

    /// On a SUB socket, receive messages whose first frame starts with `prefix` (empty: all).
    public func subscribe(_ prefix: [UInt8]) throws {
        try setBytes(ZMQ_SUBSCRIBE, prefix, "ZMQ_SUBSCRIBE")
    }

    /// On a SUB socket, receive messages whose first frame starts with `prefix` (empty: all).
    public func subscribe(_ prefix: String) throws {
        try subscribe(Array(prefix.utf8))
    }

    /// Removes a subscription made with the same prefix.
    public func unsubscribe(_ prefix: String) throws {
        try setBytes(ZMQ_UNSUBSCRIBE, Array(prefix.utf8), "ZMQ_UNSUBSCRIBE")
    }

    /// Sets the routing id a ROUTER peer sees for this socket (1 to 255 bytes, not starting with 0).
    public func setRoutingID(_ id: [UInt8]) throws {
        guard (1...255).contains(id.count), id.first != 0 else {
            throw ZMQUsageError.invalidOption("routing id must be 1...255 bytes and not start with a zero byte")
        }
        try setBytes(ZMQ_ROUTING_ID, id, "ZMQ_ROUTING_ID")
    }

    /// The routing id of this socket.
    public func routingID() throws -> [UInt8] {
        try getBytes(ZMQ_ROUTING_ID, capacity: 256, "ZMQ_ROUTING_ID")
    }

    /// Makes this socket a CURVE server (it holds a secret key; clients must know its public key).
    public func setCurveServer(_ on: Bool) throws {
        try setInt32(ZMQ_CURVE_SERVER, on ? 1 : 0, "ZMQ_CURVE_SERVER")
    }

    /// This socket's long-term CURVE public key (Z85, 40 characters).
    public func setCurvePublicKey(_ z85: String) throws {
        try setBytes(ZMQ_CURVE_PUBLICKEY, try CurveKeyPair.validatedZ85(z85), "ZMQ_CURVE_PUBLICKEY")
    }

    /// This socket's long-term CURVE secret key (Z85, 40 characters).
    public func setCurveSecretKey(_ z85: String) throws {
        try setBytes(ZMQ_CURVE_SECRETKEY, try CurveKeyPair.validatedZ85(z85), "ZMQ_CURVE_SECRETKEY")
    }

    /// On a CURVE client, the server's public key (Z85, 40 characters).
    public func setCurveServerKey(_ z85: String) throws {
        try setBytes(ZMQ_CURVE_SERVERKEY, try CurveKeyPair.validatedZ85(z85), "ZMQ_CURVE_SERVERKEY")
    }

    /// The ZAP domain passed to the authentication handler for connections to this socket.
    public func setZAPDomain(_ domain: String) throws {
        try setBytes(ZMQ_ZAP_DOMAIN, Array(domain.utf8), "ZMQ_ZAP_DOMAIN")
    }

    /// The last endpoint bound, with wildcards resolved (`ZMQ_LAST_ENDPOINT`).
    public func lastEndpoint() throws -> String {
        let bytes = try getBytes(ZMQ_LAST_ENDPOINT, capacity: 1024, "ZMQ_LAST_ENDPOINT")
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Whether a message can be received now without blocking (`ZMQ_EVENTS` has `ZMQ_POLLIN`).
    public func isReadable() throws -> Bool {
        try getInt32(ZMQ_EVENTS, "ZMQ_EVENTS") & Int32(ZMQ_POLLIN) != 0
    }

    /// Whether a message can be sent now without blocking (`ZMQ_EVENTS` has `ZMQ_POLLOUT`).
    public func isWritable() throws -> Bool {
        try getInt32(ZMQ_EVENTS, "ZMQ_EVENTS") & Int32(ZMQ_POLLOUT) != 0
    }

    // MARK: Raw access

    func setInt32(_ option: Int32, _ value: Int32, _ name: String) throws {
        var value = value
        try check(zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size), "zmq_setsockopt(\(name))")
    }

    func setInt64(_ option: Int32, _ value: Int64, _ name: String) throws {
        var value = value
        try check(zmq_setsockopt(handle, option, &value, MemoryLayout<Int64>.size), "zmq_setsockopt(\(name))")
    }

    func setBytes(_ option: Int32, _ value: [UInt8], _ name: String) throws {
        let rc = value.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        try check(rc, "zmq_setsockopt(\(name))")
    }

    func getInt32(_ option: Int32, _ name: String) throws -> Int32 {
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        try check(zmq_getsockopt(handle, option, &value, &size), "zmq_getsockopt(\(name))")
        return value
    }

    func getBytes(_ option: Int32, capacity: Int, _ name: String) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: capacity)
        var size = capacity
        let rc = buffer.withUnsafeMutableBytes { zmq_getsockopt(handle, option, $0.baseAddress, &size) }
        try check(rc, "zmq_getsockopt(\(name))")
        return Array(buffer.prefix(size))
    }
}
