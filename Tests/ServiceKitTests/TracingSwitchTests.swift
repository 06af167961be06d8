import Testing
@testable import ServiceKit

/// Tracing is off unless asked for; asked for in a build without the exporter (the package
/// trait OTLP), a process refuses to start rather than drop the traces in silence.
@Suite struct TracingSwitchTests {
    @Test func tracingIsOffUnlessAskedForAndRefusedWithoutTheExporter() throws {
        #expect(try Observability.bootstrapTracing(service: "t", environment: [:]).isEmpty)
        #expect(try Observability.bootstrapTracing(service: "t", environment: ["OTEL_TRACES_EXPORTER": "none"]).isEmpty)
        #expect(try Observability.bootstrapTracing(service: "t", environment: ["OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"]).isEmpty)
        if !Observability.exportsOTLP {
            #expect(throws: TracingUnavailable.self) {
                try Observability.bootstrapTracing(service: "t", environment: ["OTEL_TRACES_EXPORTER": "otlp"])
            }
            #expect("\(TracingUnavailable())".contains("--traits OTLP"))
        }
    }
}
