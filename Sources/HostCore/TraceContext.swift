import Foundation
import Instrumentation
import SagaWire
import Tracing

/// Trace context across processes: a span's W3C `traceparent` rides in the commands and queries
/// that continue it (docs/PROTOCOL.md), through whatever tracer ``Observability`` bootstrapped
/// (none by default: then every span is a no-op and no `traceparent` is sent).
package enum TraceContext {
    /// Whether a tracer was bootstrapped.
    package static var isOn: Bool { !(InstrumentationSystem.tracer is NoOpTracer) }

    /// The context a received `traceparent` continues; the top-level one without it.
    package static func context(continuing parent: TraceParent?) -> InstrumentationContext {
        var context = InstrumentationContext.topLevel
        if let parent {
            InstrumentationSystem.instrument.extract(["traceparent": parent.description], into: &context, using: HeaderCarrier())
        }
        return context
    }

    /// The `traceparent` that continues `span` (`nil` when no tracer propagates it).
    package static func traceParent(of span: any Span) -> TraceParent? {
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(span.context, into: &carrier, using: HeaderCarrier())
        return carrier["traceparent"].flatMap(TraceParent.init)
    }

    /// An instant of the wall clock, for spans that start or end at a time recorded earlier.
    package static func instant(ms: Int64) -> DefaultTracerClock.Timestamp {
        DefaultTracerClock.Timestamp(nanosecondsSinceEpoch: UInt64(max(ms, 0)) * 1_000_000)
    }

    /// Now, on the wall clock.
    package static var now: DefaultTracerClock.Timestamp { DefaultTracerClock.now }
}

/// Header-style carriers: a dictionary of `traceparent`, `tracestate`.
struct HeaderCarrier: Extractor, Injector {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}
