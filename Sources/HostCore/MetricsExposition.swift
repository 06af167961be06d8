/// Where `sys.Metrics` gets the process's metrics as text: a renderer bootstrapped once per
/// process by whoever bootstrapped the metrics backend (ServiceKit's `Observability`, with the
/// Prometheus registry), as swift-metrics' `MetricsSystem` is bootstrapped with a factory. Until
/// then (the simulation, tests, offline tools) the text is empty.
public enum MetricsExposition {
    private static let renderer = LockedValue<@Sendable () -> String>({ "" })

    /// Sets the renderer; the last call wins.
    public static func bootstrap(_ render: @escaping @Sendable () -> String) {
        renderer.withLock { $0 = render }
    }

    /// The metrics as the bootstrapped renderer writes them.
    public static func text() -> String {
        renderer.withLock { $0 }()
    }
}
