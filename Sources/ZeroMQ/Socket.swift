import CZeroMQ

/// One ZeroMQ socket.
///
/// A socket belongs to the thread that created it and must never be used from another:
/// the type is deliberately not `Sendable`, so strict concurrency checking keeps it on its
/// thread. Closing (explicitly or on deinit) never hangs because linger is always set.
public final class ZMQSocket {
    let handle: UnsafeMutableRawPointer
    /// The context this socket lives in, kept alive until the socket closes.
    public let context: ZMQContext
    /// The socket's pattern.
    public let type: SocketType
    private var closed = false

    /// Creates a socket of `type` in `context` with an explicit linger period.
    ///
    /// - Parameter linger: milliseconds pending outgoing messages are kept after close;
    ///   `0` discards them at once. It is never left at libzmq's default (infinite).
    public init(_ context: ZMQContext, _ type: SocketType, linger: Int32 = 0) throws {
        guard let socket = zmq_socket(context.handle, type.raw) else {
            throw ZMQError.last("zmq_socket(\(type))")
        }
        self.handle = socket
        self.context = context
        self.type = type
        do {
            try setInt32(ZMQ_LINGER, linger, "ZMQ_LINGER")
        } catch {
            zmq_close(socket)
            closed = true
            throw error
        }
    }

    deinit {
        if !closed { zmq_close(handle) }
    }

    /// Closes the socket. Further use throws `ENOTSOCK`. Closing twice does nothing.
    public func close() {
        guard !closed else { return }
        closed = true
        zmq_close(handle)
    }

    // MARK: Endpoints

    /// Binds to an endpoint such as `tcp://127.0.0.1:5555`, `tcp://127.0.0.1:*` or `ipc:///tmp/x`.
    ///
    /// - Returns: the endpoint actually bound (with the chosen port for a `*` wildcard).
    /// - Throws: ``ZMQError`` with kind ``ZMQError/Kind/addressInUse`` when the address is taken.
    @discardableResult
    public func bind(_ endpoint: String) throws -> String {
        try check(zmq_bind(handle, endpoint), "zmq_bind(\(endpoint))")
        return try lastEndpoint()
    }

    /// Connects to an endpoint. The connection is made in the background and re-made after loss.
    public func connect(_ endpoint: String) throws {
        try check(zmq_connect(handle, endpoint), "zmq_connect(\(endpoint))")
    }

    /// Stops listening on an endpoint that was bound.
    public func unbind(_ endpoint: String) throws {
        try check(zmq_unbind(handle, endpoint), "zmq_unbind(\(endpoint))")
    }

    /// Drops a connection made by ``connect(_:)``.
    public func disconnect(_ endpoint: String) throws {
        try check(zmq_disconnect(handle, endpoint), "zmq_disconnect(\(endpoint))")
    }

    // MARK: Sending

    /// Sends one multipart message, blocking while the high-water mark is reached
    /// (or until the send timeout, if one is set).
    public func send(_ frames: [[UInt8]]) throws {
        _ = try send(frames, blocking: true)
    }

    /// Sends one multipart message without blocking.
    ///
    /// - Returns: `false` when the message could not be queued now (`EAGAIN`), in which case
    ///   nothing was sent. Multipart messages are atomic: all frames go, or none.
    public func trySend(_ frames: [[UInt8]]) throws -> Bool {
        try send(frames, blocking: false)
    }

    /// Sends a single-frame message (blocking).
    public func send(_ frame: [UInt8]) throws {
        try send([frame])
    }

    private func send(_ frames: [[UInt8]], blocking: Bool) throws -> Bool {
        precondition(!frames.isEmpty, "a ZeroMQ message has at least one frame")
        let base: Int32 = blocking ? 0 : ZMQ_DONTWAIT
        let last = frames.count - 1
        for (index, frame) in frames.enumerated() {
            let flags = index == last ? base : base | ZMQ_SNDMORE
            let rc = frame.withUnsafeBytes { buffer in
                zmq_send(handle, buffer.baseAddress, buffer.count, flags)
            }
            if rc < 0 {
                let error = ZMQError.last("zmq_send(\(type))")
                // Only the first frame can fail with EAGAIN: once it is queued libzmq accepts
                // the rest of the message atomically.
                if index == 0 && error.kind == .wouldBlock && !blocking { return false }
                throw error
            }
        }
        return true
    }

    // MARK: Receiving

    /// Receives one multipart message, blocking until it arrives (or the receive timeout).
    public func receive() throws -> [[UInt8]] {
        guard let message = try receive(flags: 0) else {
            throw ZMQError(errno: zsaga_EAGAIN, call: "zmq_msg_recv(\(type))")
        }
        return message
    }

    /// Receives one multipart message if one is ready, without blocking.
    ///
    /// - Returns: `nil` when nothing is waiting.
    public func tryReceive() throws -> [[UInt8]]? {
        try receive(flags: ZMQ_DONTWAIT)
    }

    private func receive(flags: Int32) throws -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        while true {
            // Later frames of a message are already here; only the first may block or fail.
            let rc = zmq_msg_recv(&message, handle, frames.isEmpty ? flags : 0)
            if rc < 0 {
                let error = ZMQError.last("zmq_msg_recv(\(type))")
                if frames.isEmpty && error.kind == .wouldBlock && flags & ZMQ_DONTWAIT != 0 {
                    return nil
                }
                throw error
            }
            let size = zmq_msg_size(&message)
            if size == 0 {
                frames.append([])
            } else {
                let data = UnsafeRawBufferPointer(start: zmq_msg_data(&message), count: size)
                frames.append([UInt8](data))
            }
            if zmq_msg_more(&message) == 0 { return frames }
        }
    }

    // MARK: Helpers

    @inline(__always)
    func check(_ rc: Int32, _ call: @autoclosure () -> String) throws {
        if rc != 0 { throw ZMQError.last(call()) }
    }
}
