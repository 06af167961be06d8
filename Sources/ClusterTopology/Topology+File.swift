import SagaWire

extension Topology {
    /// Reads a topology file (docs/TOPOLOGY.md):
    ///
    /// ```json
    /// {"replace": false,
    ///  "processes": [{"name": "loyalty", "role": "service", "executable": "loyalty-service",
    ///                 "router_port": 7601, "pub_port": 7602}]}
    /// ```
    ///
    /// Each process has `name`; `role` (`service` unless said: `orchestrator`, `monitor`);
    /// `executable` (default `<name>-service`, `saga-orchestrator`, `saga-monitor`); and either
    /// `router_port` and `pub_port` (loopback TCP) or `router` and `pub` endpoints. The processes
    /// are added to the built-in topology (one with a built-in name replaces it), or with
    /// `"replace": true` are the whole topology.
    public static func parse(_ bytes: [UInt8], source: String = "file") throws(TopologyError) -> Topology {
        let json: JSON
        do { json = try JSONParser.parse(bytes) } catch { throw .notJSON(source: source, error) }
        let processes: [ProcessSpec], replace: Bool
        do {
            let root = try Fields(json, path: "")
            processes = try root.objects("processes", minCount: 1, maxCount: 256).map { fields throws(WireError) in try process(fields) }
            replace = try root.optionalBool("replace") ?? false
        } catch {
            throw .invalid(field: error.field ?? "", error.message)
        }
        return try replace ? Topology(processes: processes) : builtIn.adding(processes)
    }

    private static func process(_ fields: Fields) throws(WireError) -> ProcessSpec {
        let name = try fields.string("name", maxBytes: 32)
        guard isName(name) else {
            throw WireError(.invalidArgument, "1-32 lowercase letters, digits and -, starting with a letter", field: fields.path(of: "name"))
        }
        let roleName = try fields.optionalString("role", maxBytes: 16) ?? ProcessRole.service.rawValue
        guard let role = ProcessRole(rawValue: roleName) else {
            throw WireError(.invalidArgument, "must be one of \(ProcessRole.allCases.map(\.rawValue).joined(separator: ", "))",
                            field: fields.path(of: "role"))
        }
        let executable = try fields.optionalString("executable", maxBytes: 256)
            ?? [.orchestrator: "saga-orchestrator", .monitor: "saga-monitor"][role] ?? "\(name)-service"
        if let router = try fields.optionalString("router", maxBytes: 256) {
            return ProcessSpec(name: name, role: role, executable: executable, router: router, pub: try fields.string("pub", maxBytes: 256))
        }
        let ports = (try fields.int("router_port", in: 1...65535), try fields.int("pub_port", in: 1...65535))
        return ProcessSpec(name: name, role: role, executable: executable, ports: (Int(ports.0), Int(ports.1)))
    }

    /// The topology as a topology file (`"replace": true`): what `sagactl topology --json` prints.
    public var json: JSON {
        ["replace": true, "processes": .array(processes.map { process in
            ["name": .string(process.name), "role": .string(process.role.rawValue), "executable": .string(process.executable),
             "router": .string(process.router), "pub": .string(process.pub)]
        })]
    }
}
