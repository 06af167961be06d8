import CZeroMQ

/// A ZeroMQ context: the I/O threads and the registry of sockets of one process.
///
/// A context is safe to share between threads (libzmq guarantees it); sockets are not.
/// Every ``ZMQSocket`` keeps its context alive, so the context is terminated only after its
/// last socket has closed, and since sockets always have an explicit linger, termination
/// never hangs.
public final class ZMQContext: @unchecked Sendable {
    // @unchecked: the only state is the libzmq context handle, and libzmq documents
    // zmq_ctx_* and zmq_socket on a shared context as thread-safe.
    let handle: UnsafeMutableRawPointer

    /// Creates a context with the given number of I/O threads.
    public init(ioThreads: Int32 = 1) throws {
        guard let ctx = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        if ioThreads != 1, zmq_ctx_set(ctx, ZMQ_IO_THREADS, ioThreads) != 0 {
            let error = ZMQError.last("zmq_ctx_set(ZMQ_IO_THREADS)")
            zmq_ctx_term(ctx)
            throw error
        }
        handle = ctx
    }

    /// Makes every blocking call on this context's sockets return ``ZMQError/Kind/terminated``.
    ///
    /// Threads blocked in receive or poll wake up and can close their sockets.
    public func shutdown() {
        zmq_ctx_shutdown(handle)
    }

    deinit {
        // All sockets hold a reference to us, so none is open here; terminate cannot block.
        while zmq_ctx_term(handle) != 0 && zmq_errno() == zsaga_EINTR {}
    }

    /// The libzmq version in use, as (major, minor, patch).
    public static var version: (major: Int32, minor: Int32, patch: Int32) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (major, minor, patch)
    }

    /// Whether libzmq supports a capability, such as `"curve"` or `"ipc"` (`zmq_has`).
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) != 0
    }
}
