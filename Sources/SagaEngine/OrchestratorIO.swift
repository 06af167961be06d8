import SagaCore
import SagaWire
import HostCore

/// What the orchestrator's engine asks of the world around it. ``OrchestratorHost`` carries it
/// out over ZeroMQ sockets; the simulation and the embedded tests over in-memory queues.
///
/// Every call is made on the engine's thread, and none may block.
package protocol OrchestratorIO: AnyObject {
    /// Sends a saga's command to the service that runs it. A command that cannot be queued is
    /// left to time out and be retried.
    func send(_ command: Command, to service: String)
    /// Sends a query to a service (a context rule's check asks for what it needs: the order rule, inventory's items).
    func send(_ query: Query, to service: String)
    /// Answers a client of the orchestrator's API.
    func reply(route: [[UInt8]], _ message: WireMessage)
    /// Publishes committed saga events, in log order.
    func publish(_ events: [Event])
    /// How the services' event streams stand, for `sys.Ping`.
    var streamStatus: JSON { get }
}

/// What one reactor iteration gathered; the engine handles it as one batch with one commit.
package struct OrchestratorInputs {
    /// Valid requests from the API's clients, in arrival order.
    package var requests: [IncomingRequest] = []
    /// What came back on the DEALER of each service: replies, errors and query results.
    package var replies: [(service: String, message: WireMessage)] = []
    /// The services' events, each delivered once per incarnation and in order per service.
    package var events: [Event] = []
    /// The last sequence number delivered per service, after `events`.
    package var positions: [String: Int64] = [:]

    package init(requests: [IncomingRequest] = [], replies: [(service: String, message: WireMessage)] = [],
                 events: [Event] = [], positions: [String: Int64] = [:]) {
        self.requests = requests
        self.replies = replies
        self.events = events
        self.positions = positions
    }
}
