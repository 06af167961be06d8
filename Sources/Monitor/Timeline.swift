import SagaWire

/// One saga's causal timeline across every service's log.
public enum Timeline {
    /// Orders a saga's events (from the monitor's log: stream = source) causally: the
    /// orchestrator's events in their order, each service event just before the saga event
    /// that recorded its outcome (the one whose `command_id` caused it), and service events
    /// whose outcome is not recorded yet after everything else, by time.
    public static func build(_ events: [Event]) -> [JSON] {
        let sagaEvents = events.filter { $0.stream == MonitorState.orchestrator }
        let moves = sagaEvents.map { try? SagaEvent($0) }
        var byCommand: [String: [Event]] = [:]
        var unmatched: [Event] = []
        let recorded = Set(moves.compactMap { $0?.commandID })
        for event in events where event.stream != MonitorState.orchestrator {
            if let command = event.metadata.causationID, recorded.contains(command) {
                byCommand[command, default: []].append(event)
            } else {
                unmatched.append(event)
            }
        }
        var ordered: [Event] = []
        for (event, move) in zip(sagaEvents, moves) {
            if let command = move?.commandID, let effects = byCommand.removeValue(forKey: command) {
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
            // The saga's context is in its row and view, not repeated in the timeline.
            data.removeValue(forKey: SagaEvent.Key.context.rawValue)
            entry["data"] = .object(data)
            return .object(entry)
        }
    }
}
