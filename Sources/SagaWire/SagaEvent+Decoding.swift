/// Decoding: a recorded payload, strictly.
extension SagaEvent {
    /// Reads a recorded event of the orchestrator's log.
    public init(_ event: Event) throws(SagaEventError) {
        guard let type = SagaEventType(rawValue: event.type) else { throw .unknownType(event.type) }
        try self.init(type: type, data: event.data)
    }

    /// Reads a payload of a known type.
    public init(type: SagaEventType, data: JSON) throws(SagaEventError) {
        let d = try Payload(data)
        switch type {
        case .definitionRegistered:
            self = .definitionRegistered(DefinitionRegistered(type: try d.string(.type), fingerprint: try d.string(.fingerprint),
                                                              definition: try d.value(.definition)))
        case .sagaStarted:
            self = .sagaStarted(SagaStarted(sagaID: try d.string(.sagaID), type: try d.string(.type),
                                            definition: try d.string(.definition), context: try d.value(.context)))
        case .stepSucceeded:
            self = .stepSucceeded(StepSucceeded(step: try d.int(.step), name: try d.string(.name), commandID: try d.string(.commandID),
                                                result: try d.value(.result)))
        case .stepRetrying:
            self = .stepRetrying(StepRetrying(commandID: try d.string(.commandID), role: try d.role(.role), name: try d.string(.name),
                                              attempt: try d.int(.attempt), reason: try d.string(.reason), delayMs: try d.int64(.delayMs)))
        case .stepFailed:
            self = .stepFailed(StepFailed(step: try d.int(.step), name: try d.string(.name), commandID: try d.string(.commandID),
                                          reason: try d.string(.reason), message: try d.string(.message),
                                          exhausted: try d.bool(.exhausted), compensateFrom: try d.optionalInt(.compensateFrom)))
        case .compensationSucceeded:
            self = .compensationSucceeded(CompensationSucceeded(step: try d.int(.step), name: try d.string(.name),
                                                                commandID: try d.string(.commandID)))
        case .completionSucceeded:
            self = .completionSucceeded(CompletionSucceeded(index: try d.int(.index), name: try d.string(.name),
                                                            commandID: try d.string(.commandID)))
        case .sagaCompleted:
            self = .sagaCompleted(SagaCompleted(durationMs: try d.int64(.durationMs)))
        case .sagaCompensated:
            self = .sagaCompensated(SagaCompensated(durationMs: try d.int64(.durationMs), failure: try d.optionalString(.failure)))
        case .sagaStuck:
            self = .sagaStuck(SagaStuck(reason: try d.string(.reason), commandID: try d.string(.commandID)))
        case .sagaResumed:
            self = .sagaResumed(SagaResumed(round: try d.int(.round)))
        }
    }

    /// A payload's members, read strictly.
    private struct Payload {
        let members: JSONObject

        init(_ data: JSON) throws(SagaEventError) {
            guard let members = data.objectValue else { throw .notAnObject }
            self.members = members
        }

        func value(_ key: Key) throws(SagaEventError) -> JSON {
            guard let value = members[key.rawValue] else { throw .missing(key.rawValue) }
            return value
        }

        func string(_ key: Key) throws(SagaEventError) -> String {
            guard let text = try value(key).stringValue else { throw .wrongKind(key.rawValue, expected: "a string") }
            return text
        }

        func optionalString(_ key: Key) throws(SagaEventError) -> String? {
            guard let value = members[key.rawValue], !value.isNull else { return nil }
            guard let text = value.stringValue else { throw .wrongKind(key.rawValue, expected: "a string or null") }
            return text
        }

        func int64(_ key: Key) throws(SagaEventError) -> Int64 {
            guard let number = try value(key).intValue else { throw .wrongKind(key.rawValue, expected: "an integer") }
            return number
        }

        func int(_ key: Key) throws(SagaEventError) -> Int {
            let number = try int64(key)
            guard let small = Int(exactly: number), small >= -1, small <= Int(Int32.max) else {
                throw .wrongKind(key.rawValue, expected: "an index")
            }
            return small
        }

        func optionalInt(_ key: Key) throws(SagaEventError) -> Int? {
            guard members[key.rawValue] != nil else { return nil }
            return try int(key)
        }

        func bool(_ key: Key) throws(SagaEventError) -> Bool {
            guard let flag = try value(key).boolValue else { throw .wrongKind(key.rawValue, expected: "a boolean") }
            return flag
        }

        func role(_ key: Key) throws(SagaEventError) -> CommandRole {
            let role = try Payload(try value(key))
            let path = "\(key.rawValue).\(Key.kind.rawValue)"
            guard let kind = role.members[Key.kind.rawValue] else { throw .missing(path) }
            switch kind.stringValue {
            case "action": return .action(step: try role.int(.step))
            case "compensation": return .compensation(step: try role.int(.step))
            case "completion": return .completion(index: try role.int(.index))
            default: throw .wrongKind(path, expected: "action, compensation or completion")
            }
        }
    }
}
