/// Encodes and decodes ``WireMessage``s as JSON envelopes.
///
/// Decoding never traps: any input that is not a valid envelope gives a ``WireError`` with a
/// stable code (`too_large`, `malformed`, `unsupported_version`, `unknown_type`).
/// Unknown envelope members are ignored, so newer peers can add fields.
public enum WireCodec {
    /// The default bound on an envelope's size: 1 MiB.
    public static let defaultMaxBytes = 1 << 20

    /// The envelope bytes of a message.
    public static func encode(_ message: WireMessage) -> [UInt8] {
        JSONWriter.encode(envelope(message))
    }

    /// The envelope of a message as a JSON value (members in the order of docs/PROTOCOL.md).
    public static func envelope(_ message: WireMessage) -> JSON {
        var out = JSONObject()
        out["v"] = .int(protocolVersion)
        out["kind"] = .string(message.kind)
        switch message {
        case .command(let command):
            out["id"] = .string(command.id)
            out["type"] = .string(command.type)
            if let correlation = command.correlationID { out["correlation_id"] = .string(correlation) }
            if let causation = command.causationID { out["causation_id"] = .string(causation) }
            if let parent = command.traceParent { out["traceparent"] = .string(parent.description) }
            out["body"] = command.body
        case .reply(let reply):
            out["in_reply_to"] = .string(reply.inReplyTo)
            out["outcome"] = .string(reply.outcome.rawValue)
            if let reason = reply.reason { out["reason"] = .string(reason) }
            if let message = reply.message { out["message"] = .string(message) }
            out["body"] = reply.body
            out["events"] = .array(reply.events.map { .int($0) })
        case .query(let query):
            out["id"] = .string(query.id)
            out["type"] = .string(query.type)
            if let parent = query.traceParent { out["traceparent"] = .string(parent.description) }
            out["body"] = query.body
        case .result(let result):
            out["in_reply_to"] = .string(result.inReplyTo)
            out["body"] = result.body
        case .event(let event):
            out["source"] = .string(event.metadata.service)
            out["seq"] = .int(event.seq)
            out["stream"] = .string(event.stream)
            out["version"] = .int(event.version)
            out["type"] = .string(event.type)
            out["data"] = event.data
            var meta = JSONObject()
            if let correlation = event.metadata.correlationID { meta["correlation_id"] = .string(correlation) }
            if let causation = event.metadata.causationID { meta["causation_id"] = .string(causation) }
            meta["time_ms"] = .int(event.metadata.timeMs)
            out["meta"] = .object(meta)
        case .heartbeat(let heartbeat):
            out["source"] = .string(heartbeat.source)
            out["head"] = .int(heartbeat.head)
            out["time_ms"] = .int(heartbeat.timeMs)
        case .error(let error):
            out["in_reply_to"] = error.inReplyTo.map { .string($0) } ?? .null
            out["code"] = .string(error.code.rawValue)
            out["message"] = .string(error.message)
            if let field = error.field { out["field"] = .string(field) }
        }
        return .object(out)
    }

    /// Decodes envelope bytes.
    public static func decode(_ bytes: [UInt8], maxBytes: Int = defaultMaxBytes) throws(WireError) -> WireMessage {
        guard bytes.count <= maxBytes else {
            throw WireError(.tooLarge, "message of \(bytes.count) bytes exceeds the limit of \(maxBytes)")
        }
        let json: JSON
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw WireError(.malformed, error.description)
        }
        return try decode(envelope: json)
    }

    /// The `id` (or `in_reply_to`) of an envelope that may be otherwise invalid, so an error
    /// reply can name the request it answers.
    public static func bestEffortID(_ bytes: [UInt8]) -> String? {
        guard bytes.count <= defaultMaxBytes, let json = try? JSONParser.parse(bytes),
              case .string(let id) = json["id"] ?? .null, id.utf8.count <= 256 else { return nil }
        return id
    }

    /// Decodes an already parsed envelope.
    public static func decode(envelope json: JSON) throws(WireError) -> WireMessage {
        let root = try Fields(json, path: "", code: .malformed)
        guard let version = root.json("v") else { throw WireError(.malformed, "is required", field: "v") }
        guard case .int(let number) = version else {
            throw WireError(.malformed, "must be an integer, got \(version.typeName)", field: "v")
        }
        guard number == protocolVersion else {
            throw WireError(.unsupportedVersion, "protocol version \(number) is not supported; this process speaks \(protocolVersion)", field: "v")
        }
        let kind = try root.string("kind", maxBytes: 32)
        switch kind {
        case "command":
            return .command(Command(
                id: try root.identifier("id", maxBytes: 256),
                type: try root.string("type", maxBytes: 128),
                correlationID: try root.optionalIdentifier("correlation_id", maxBytes: 256),
                causationID: try root.optionalIdentifier("causation_id", maxBytes: 256),
                body: try body(root, "body"),
                traceParent: try root.optionalTraceParent("traceparent")))
        case "reply":
            let outcomeText = try root.string("outcome", maxBytes: 32)
            guard let outcome = ReplyOutcome(rawValue: outcomeText) else {
                throw WireError(.malformed, "must be ok or rejected, got \"\(outcomeText)\"", field: "outcome")
            }
            var events: [Int64] = []
            if root.has("events") {
                for element in try root.array("events", maxCount: 100_000) {
                    guard case .int(let seq) = element.value, seq > 0 else {
                        throw WireError(.malformed, "must be a positive integer", field: element.path)
                    }
                    events.append(seq)
                }
            }
            return .reply(Reply(
                inReplyTo: try root.string("in_reply_to", maxBytes: 256),
                outcome: outcome,
                reason: try root.optionalString("reason", maxBytes: 128),
                message: try root.optionalString("message", maxBytes: 4096),
                body: try body(root, "body"),
                events: events))
        case "query":
            return .query(Query(
                id: try root.identifier("id", maxBytes: 256),
                type: try root.string("type", maxBytes: 128),
                body: try body(root, "body"),
                traceParent: try root.optionalTraceParent("traceparent")))
        case "result":
            return .result(QueryResult(
                inReplyTo: try root.string("in_reply_to", maxBytes: 256),
                body: try body(root, "body")))
        case "event":
            let meta = try root.object("meta")
            let data = try root.object("data")
            return .event(Event(
                seq: try root.int("seq", in: 1...Int64.max),
                stream: try root.string("stream", maxBytes: 256),
                version: try root.int("version", in: 1...Int64.max),
                type: try root.string("type", maxBytes: 128),
                data: .object(data.members),
                metadata: EventMetadata(
                    correlationID: try meta.optionalString("correlation_id", maxBytes: 256),
                    causationID: try meta.optionalString("causation_id", maxBytes: 256),
                    service: try root.string("source", maxBytes: 64),
                    timeMs: try meta.int("time_ms"))))
        case "heartbeat":
            return .heartbeat(Heartbeat(
                source: try root.string("source", maxBytes: 64),
                head: try root.int("head", in: 0...Int64.max),
                timeMs: try root.int("time_ms")))
        case "error":
            let codeText = try root.string("code", maxBytes: 64)
            guard let code = ErrorCode(rawValue: codeText) else {
                throw WireError(.malformed, "unknown error code \"\(codeText)\"", field: "code")
            }
            return .error(ErrorReply(
                inReplyTo: try root.optionalString("in_reply_to", maxBytes: 256),
                code: code,
                message: try root.string("message", maxBytes: 65536, allowEmpty: true),
                field: try root.optionalString("field", maxBytes: 256)))
        default:
            throw WireError(.unknownType, "unknown message kind \"\(kind)\"", field: "kind")
        }
    }

    /// The body member: an object; missing or `null` counts as `{}`.
    private static func body(_ root: Fields, _ key: String) throws(WireError) -> JSON {
        guard let value = root.json(key) else { return .object([:]) }
        guard case .object = value else {
            throw WireError(.malformed, "must be an object, got \(value.typeName)", field: key)
        }
        return value
    }
}
