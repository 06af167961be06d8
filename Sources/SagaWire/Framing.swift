/// How envelopes travel in ZeroMQ frames.
///
/// - To a ROUTER, a client sends `[body]` (DEALER) or `["", body]` (REQ, or a DEALER emulating
///   one). The ROUTER sees the sender's routing id first; the reply goes back with the same
///   prefix: `[id, body]` or `[id, "", body]`.
/// - A PUB socket sends `[topic, body]`, where the topic is `<service>.<EventType>`.
public enum Framing {
    /// A request received on a ROUTER socket: where to send the answer, and the envelope bytes.
    public struct RoutedRequest: Sendable, Equatable {
        /// The frames to put before the reply's body: the routing id and, for REQ peers,
        /// the empty delimiter.
        public var route: [[UInt8]]
        /// The envelope.
        public var body: [UInt8]

        public init(route: [[UInt8]], body: [UInt8]) {
            self.route = route
            self.body = body
        }

        /// The frames of a reply to this request.
        public func reply(_ body: [UInt8]) -> [[UInt8]] { route + [body] }
    }

    /// Splits the frames a ROUTER received.
    ///
    /// - Returns: the request, or a ``WireError`` (`malformed`) together with the route to
    ///   send the error to, when the frames do not have one of the two accepted shapes.
    public static func splitRouterFrames(_ frames: [[UInt8]]) -> Result<RoutedRequest, RoutedError> {
        guard let identity = frames.first else {
            return .failure(RoutedError(route: [], error: WireError(.malformed, "no frames")))
        }
        switch frames.count {
        case 2:
            return .success(RoutedRequest(route: [identity], body: frames[1]))
        case 3 where frames[1].isEmpty:
            return .success(RoutedRequest(route: [identity, []], body: frames[2]))
        default:
            let route = frames.count > 1 && frames[1].isEmpty ? [identity, []] : [identity]
            let count = frames.count - 1
            return .failure(RoutedError(route: route, error: WireError(
                .malformed, "expected 1 frame (or an empty delimiter and 1 frame), got \(count)")))
        }
    }

    /// A framing error and the route to answer it on.
    public struct RoutedError: Error, Sendable, Equatable {
        /// The frames to put before the error reply.
        public var route: [[UInt8]]
        /// What was wrong.
        public var error: WireError
    }

    /// The frames of a published event.
    public static func publish(_ event: Event) -> [[UInt8]] {
        [Array(event.topic.utf8), WireCodec.encode(.event(event))]
    }

    /// The frames of a published heartbeat.
    public static func publish(_ heartbeat: Heartbeat) -> [[UInt8]] {
        [Array(heartbeat.topic.utf8), WireCodec.encode(.heartbeat(heartbeat))]
    }
}
