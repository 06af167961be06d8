import SagaWire

/// A request read from a ROUTER socket, with the route to answer it on.
public enum IncomingRequest {
    /// A well-formed command.
    case command(Command, route: [[UInt8]])
    /// A well-formed query.
    case query(Query, route: [[UInt8]])
}
