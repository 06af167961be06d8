import CZeroMQ

/// An error reported by libzmq: the `errno` it set and the call that failed.
///
/// The three conditions a caller must handle differently are told apart by ``kind``:
/// `EAGAIN` (the operation would block), `ETERM` (the context is shutting down) and
/// `EINTR` (a signal interrupted a blocking call).
public struct ZMQError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The condition behind an error, for the cases callers treat specially.
    public enum Kind: Equatable, Sendable {
        /// `EAGAIN`: non-blocking call that would have blocked, or a timeout expired.
        case wouldBlock
        /// `ETERM`: the context was terminated or shut down; close the socket.
        case terminated
        /// `EINTR`: a signal interrupted a blocking call; it is safe to retry.
        case interrupted
        /// `EHOSTUNREACH`: a ROUTER with `ROUTER_MANDATORY` has no peer by that routing id.
        case hostUnreachable
        /// `EADDRINUSE`: the address is already bound by this or another process.
        case addressInUse
        /// Any other errno; see ``ZMQError/errno`` and ``ZMQError/message``.
        case other
    }

    /// The `errno` value libzmq reported (`zmq_errno()`).
    public let errno: Int32
    /// The call that failed, with its main argument, e.g. `zmq_bind(tcp://127.0.0.1:5555)`.
    public let call: String

    /// Creates an error from an errno value and the failing call.
    public init(errno: Int32, call: String) {
        self.errno = errno
        self.call = call
    }

    /// Captures `zmq_errno()` for a call that just failed.
    static func last(_ call: @autoclosure () -> String) -> ZMQError {
        ZMQError(errno: zmq_errno(), call: call())
    }

    /// The condition class of this error.
    public var kind: Kind {
        switch errno {
        case zsaga_EAGAIN: return .wouldBlock
        case zsaga_ETERM: return .terminated
        case zsaga_EINTR: return .interrupted
        case zsaga_EHOSTUNREACH: return .hostUnreachable
        case zsaga_EADDRINUSE: return .addressInUse
        default: return .other
        }
    }

    /// libzmq's text for the errno (`zmq_strerror`).
    public var message: String { String(cString: zmq_strerror(errno)) }

    public var description: String { "\(call) failed: \(message) (errno \(errno))" }
}

/// Errors of the wrapper itself, for arguments libzmq would not see.
public enum ZMQUsageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A CURVE key was not 32 bytes (binary) or 40 characters (Z85).
    case invalidCurveKey(String)
    /// libzmq was built without CURVE support (no libsodium).
    case curveUnsupported
    /// An option value out of the range the wrapper accepts.
    case invalidOption(String)

    public var description: String {
        switch self {
        case .invalidCurveKey(let why): return "invalid CURVE key: \(why)"
        case .curveUnsupported: return "this libzmq was built without CURVE support"
        case .invalidOption(let why): return "invalid socket option: \(why)"
        }
    }
}
