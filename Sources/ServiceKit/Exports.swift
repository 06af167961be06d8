// ServiceKit is the shell with sockets; what of the shell knows no sockets (commits,
// checkpoints, retention, faults, clocks, metrics, system queries) is HostCore, re-exported so
// that `import ServiceKit` keeps bringing all of it, as swift-nio's `NIO` re-exports `NIOCore`.
@_exported import HostCore
// What a client shares with the shell, each a module of its own (SagaClient links them without
// ServiceKit): the cluster's topology, CURVE keys, the event streams' subscriber.
@_exported import ClusterKeys
@_exported import ClusterTopology
@_exported import EventStreams
