import SagaWire

/// One saga's causal timeline across every service's log.
public enum Timeline {
    /// Orders a saga's events (from the monitor's log: stream = source) causally: the
    /// orchestrator's events in their order, each service event just before the saga event
    /// that recorded its outcome (the one whose `command_id` caused it), and service events
    /// whose outcome is not recorded yet after everything else, by time.
    public static func build(_ events: [Event]) -> [JSON] {
        let sagaEvents = events.filter { $0.stream == "saga" }
        var byCommand: [String: [Event]] = [:]
        var unmatched: [Event] = []
        let recorded = Set(sagaEvents.compactMap { $0.data["command_id"]?.stringValue })
        for event in events where event.stream != "saga" {
            if let command = event.metadata.causationID, recorded.contains(command) {
                byCommand[command, default: []].append(event)
            } else {
                unmatched.append(event)
            }
        }
        var ordered: [Event] = []
        for event in sagaEvents {
            if let command = event.data["command_id"]?.stringValue, let effects = byCommand.removeValue(forKey: command) {
                ordered += effects
            }
            ordered.append(event)
        }
        ordered += unmatched.sorted { ($0.metadata.timeMs, $0.seq) < ($1.metadata.timeMs, $1.seq) }
        let start = ordered.first?.metadata.timeMs ?? 0
        return ordered.map { event in
            var entry: JSONObject = ["source": .string(event.stream), "event": .string(event.type),
                                     "time_ms": .int(event.metadata.timeMs), "offset_ms": .int(event.metadata.timeMs - start)]
            if let causation = event.metadata.causationID { entry["causation_id"] = .string(causation) }
            var data = event.data.objectValue ?? [:]
            data.removeValue(forKey: "context")
            entry["data"] = .object(data)
            return .object(entry)
        }
    }
}
