// The saga core (definitions, the machine, the state) is SagaCore; re-exported so that
// `import Orchestration` keeps bringing it, as swift-nio's `NIO` re-exports `NIOCore`.
@_exported import SagaCore
