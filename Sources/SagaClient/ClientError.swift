import SagaWire
import ZeroMQ

/// Why a request to a ZSaga process failed.
public enum ClientError: Error, CustomStringConvertible, Sendable {
    /// No answer within the timeout: the process is not running, not reachable, or too busy.
    case unreachable(endpoint: String, waitedMs: Int)
    /// The process refused the request with a protocol error.
    case refused(ErrorReply)
    /// The answer was not the kind expected.
    case unexpected(String)
    /// ZeroMQ failed locally.
    case transport(ZMQError)

    public var description: String {
        switch self {
        case .unreachable(let endpoint, let waited):
            return "no answer from \(endpoint) within \(waited) ms: is the cluster running? (start it with ./scripts/cluster.sh up; "
                + "a secured cluster also needs ZSAGA_KEYS)"
        case .refused(let error):
            return "\(error.code.rawValue): \(error.field.map { "\($0): " } ?? "")\(error.message)"
        case .unexpected(let what):
            return "unexpected answer: \(what)"
        case .transport(let error):
            return "ZeroMQ error: \(error)"
        }
    }
}
