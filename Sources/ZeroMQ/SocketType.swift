import CZeroMQ

/// The ZeroMQ socket patterns ZSaga uses.
public enum SocketType: Sendable, CaseIterable, CustomStringConvertible {
    /// Publisher: fans messages out to subscribers by topic prefix; drops at the high-water mark.
    case pub
    /// Subscriber: receives published messages whose first frame starts with a subscribed prefix.
    case sub
    /// Asynchronous requester: round-robins outgoing messages, fair-queues incoming ones.
    case dealer
    /// Asynchronous replier: prefixes each incoming message with the sender's routing id.
    case router
    /// Strict request/reply client: one request, then one reply.
    case req
    /// Strict request/reply server.
    case rep
    /// Exclusive pair, typically over `inproc`.
    case pair
    /// Pipeline sink: fair-queues messages from pushers.
    case pull
    /// Pipeline source: round-robins messages to pullers.
    case push
    /// Publisher that also receives its subscribers' (un)subscriptions: `[1|0, prefix…]`.
    case xpub

    var raw: Int32 {
        switch self {
        case .pub: return ZMQ_PUB
        case .sub: return ZMQ_SUB
        case .dealer: return ZMQ_DEALER
        case .router: return ZMQ_ROUTER
        case .req: return ZMQ_REQ
        case .rep: return ZMQ_REP
        case .pair: return ZMQ_PAIR
        case .pull: return ZMQ_PULL
        case .push: return ZMQ_PUSH
        case .xpub: return ZMQ_XPUB
        }
    }

    public var description: String {
        switch self {
        case .pub: return "PUB"
        case .sub: return "SUB"
        case .dealer: return "DEALER"
        case .router: return "ROUTER"
        case .req: return "REQ"
        case .rep: return "REP"
        case .pair: return "PAIR"
        case .pull: return "PULL"
        case .push: return "PUSH"
        case .xpub: return "XPUB"
        }
    }
}
