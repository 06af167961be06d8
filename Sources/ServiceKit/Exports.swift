// ServiceKit is the shell with sockets; what of the shell knows no sockets (commits,
// checkpoints, retention, faults, clocks, metrics, system queries) is HostCore, re-exported so
// that `import ServiceKit` keeps bringing all of it, as swift-nio's `NIO` re-exports `NIOCore`.
@_exported import HostCore
