import Crypto
import Foundation
import ClusterTopology
import SagaWire
import ZeroMQ

/// The CURVE keys of a ZSaga process or client, read from a keys directory (the "Ironhouse"
/// model: every connection encrypted, every client key on an allow-list):
///
/// ```
/// DIR/<name>.key          this process's key pair ("public <Z85>" and "secret <Z85>" lines)
/// DIR/<peer>.pub          the public key of each process it connects to ("public <Z85>")
/// DIR/authorized/*.pub    the client keys it admits
/// ```
///
/// `sagactl keygen` writes them.
public struct CurveKeys: Sendable {
    /// This process's own key pair.
    public let own: CurveKeyPair
    /// Public keys of the processes it may connect to, by process name.
    public let servers: [String: String]
    /// Client public keys it admits, with the file they came from.
    public let authorized: [String: String]
    /// The directory they came from.
    public let directory: String

    /// Reads the keys of `name` from `directory`, waiting up to `wait` seconds for its key file
    /// (a compose cluster's keys may still be being written).
    public static func load(directory: String, name: String, wait: Double = 0) throws -> CurveKeys {
        let ownPath = (directory as NSString).appendingPathComponent("\(name).key")
        let deadline = Date().addingTimeInterval(wait)
        while !FileManager.default.fileExists(atPath: ownPath) && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        guard let text = try? String(contentsOfFile: ownPath, encoding: .utf8) else {
            throw CurveKeysError.configuration("no key pair at \(ownPath); write one with `sagactl keygen`")
        }
        let fields = parse(text)
        guard let publicKey = fields["public"], let secretKey = fields["secret"] else {
            throw CurveKeysError.configuration("\(ownPath) must hold a `public` and a `secret` line")
        }
        let own: CurveKeyPair
        do { own = try CurveKeyPair(publicKey: publicKey, secretKey: secretKey) } catch {
            throw CurveKeysError.configuration("\(ownPath): \(error)")
        }
        var servers: [String: String] = [:]
        for file in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where file.hasSuffix(".pub") {
            if let key = parse((try? String(contentsOfFile: (directory as NSString).appendingPathComponent(file), encoding: .utf8)) ?? "")["public"] {
                servers[String(file.dropLast(4))] = key
            }
        }
        let authorizedDirectory = (directory as NSString).appendingPathComponent("authorized")
        var authorized: [String: String] = [:]
        for file in (try? FileManager.default.contentsOfDirectory(atPath: authorizedDirectory)) ?? [] where file.hasSuffix(".pub") {
            if let key = parse((try? String(contentsOfFile: (authorizedDirectory as NSString).appendingPathComponent(file), encoding: .utf8)) ?? "")["public"] {
                authorized[key] = String(file.dropLast(4))
            }
        }
        return CurveKeys(own: own, servers: servers, authorized: authorized, directory: directory)
    }

    static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return fields
    }

    /// Writes a new key pair for `name` into `directory` (`<name>.key`, mode 0600, and
    /// `<name>.pub`), and, when `authorize`, its public key into `authorized/`.
    @discardableResult
    public static func generate(name: String, in directory: String, authorize: Bool) throws -> CurveKeyPair {
        let pair = try CurveKeyPair.generate()
        try write(pair, name: name, in: directory, authorize: authorize)
        return pair
    }

    /// Writes a key pair's files.
    public static func write(_ pair: CurveKeyPair, name: String, in directory: String, authorize: Bool) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let keyPath = (directory as NSString).appendingPathComponent("\(name).key")
        _ = manager.createFile(atPath: keyPath, contents: Data("public \(pair.publicKey)\nsecret \(pair.secretKey)\n".utf8),
                               attributes: [.posixPermissions: 0o600])
        let publicText = Data("public \(pair.publicKey)\n".utf8)
        _ = manager.createFile(atPath: (directory as NSString).appendingPathComponent("\(name).pub"), contents: publicText,
                               attributes: [.posixPermissions: 0o644])
        if authorize {
            let authorized = (directory as NSString).appendingPathComponent("authorized")
            try manager.createDirectory(atPath: authorized, withIntermediateDirectories: true)
            _ = manager.createFile(atPath: (authorized as NSString).appendingPathComponent("\(name).pub"), contents: publicText,
                                   attributes: [.posixPermissions: 0o644])
        }
    }

    /// The name of the clients' key pair (sagactl, the dashboard's gateway, tests).
    public static let clientName = Topology.clientKeyName

    /// Writes the keys of a whole cluster into `directory`: a pair for every process and for
    /// `client`, every public key on the allow-list (processes are clients of each other).
    ///
    /// With a `secret`, each secret key is derived from it (HMAC-SHA256 of the name), so every
    /// machine that knows the cluster secret writes the same keys: containers derive them at
    /// start and no key file has to be shipped. Without one, the keys are random.
    public static func generateCluster(in directory: String, secret: String?, topology: Topology = .builtIn) throws {
        if let secret, secret.utf8.count < 16 {
            throw CurveKeysError.configuration("the cluster secret must be at least 16 bytes (e.g. `openssl rand -hex 32`)")
        }
        for name in topology.keyNames {
            if let secret {
                try write(try derivedPair(secret: secret, name: name), name: name, in: directory, authorize: true)
            } else {
                try generate(name: name, in: directory, authorize: true)
            }
        }
    }

    /// The key pair of `name` derived from a cluster secret: the secret key is
    /// HMAC-SHA256(secret, "zsaga-curve-v1/<name>").
    public static func derivedPair(secret: String, name: String) throws -> CurveKeyPair {
        let code = HMAC<SHA256>.authenticationCode(for: Data("zsaga-curve-v1/\(name)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        let secretKey = try CurveKeyPair.encode(Array(code))
        return try CurveKeyPair(publicKey: try CurveKeyPair.publicKey(forSecret: secretKey), secretKey: secretKey)
    }

    /// The keys of `name` in a cluster whose keys all derive from `secret` (no files): every
    /// process's public key is known and every cluster key is on the allow-list.
    public static func derived(secret: String, name: String, topology: Topology = .builtIn) throws -> CurveKeys {
        guard secret.utf8.count >= 16 else {
            throw CurveKeysError.configuration("the cluster secret must be at least 16 bytes (e.g. `openssl rand -hex 32`)")
        }
        var servers: [String: String] = [:], authorized: [String: String] = [:]
        for peer in topology.keyNames {
            let pair = try derivedPair(secret: secret, name: peer)
            servers[peer] = pair.publicKey
            authorized[pair.publicKey] = peer
        }
        return CurveKeys(own: try derivedPair(secret: secret, name: name), servers: servers, authorized: authorized,
                         directory: "(derived from the cluster secret)")
    }

    /// The keys of `name` from the environment: a keys directory (`explicitDirectory`, else
    /// `ZSAGA_KEYS`), else keys derived from `ZSAGA_CLUSTER_SECRET` (or the file named by
    /// `ZSAGA_CLUSTER_SECRET_FILE`, e.g. a Docker secret), else `nil` (not secured).
    /// A derived cluster's peers are the processes of `topology`.
    public static func fromEnvironment(name: String, explicitDirectory: String? = nil, wait: Double = 0,
                                       topology: Topology = .builtIn) throws -> CurveKeys? {
        if let directory = explicitDirectory ?? environment("ZSAGA_KEYS") {
            return try load(directory: directory, name: name, wait: wait)
        }
        if let secret = try clusterSecret() { return try derived(secret: secret, name: name, topology: topology) }
        return nil
    }

    /// The cluster secret from `ZSAGA_CLUSTER_SECRET` or the file `ZSAGA_CLUSTER_SECRET_FILE` names.
    public static func clusterSecret() throws -> String? {
        if let path = environment("ZSAGA_CLUSTER_SECRET_FILE") {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw CurveKeysError.configuration("cannot read ZSAGA_CLUSTER_SECRET_FILE \(path)")
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return environment("ZSAGA_CLUSTER_SECRET")
    }

    /// A short fingerprint of a public key for logs: the first 8 and last 4 characters.
    public static func fingerprint(_ publicKey: String) -> String {
        publicKey.count > 12 ? "\(publicKey.prefix(8))…\(publicKey.suffix(4))" : publicKey
    }

    /// Makes a connecting socket a CURVE client of the process `server`.
    public func secureClient(_ socket: ZMQSocket, server: String) throws {
        guard let serverKey = servers[server] else {
            throw CurveKeysError.configuration("no public key for \(server) in \(directory) (\(server).pub)")
        }
        try socket.setCurveServerKey(serverKey)
        try socket.setCurvePublicKey(own.publicKey)
        try socket.setCurveSecretKey(own.secretKey)
    }
}

/// Why keys could not be read or made.
public enum CurveKeysError: Error, CustomStringConvertible, Sendable {
    /// A key file, secret or setting is unusable.
    case configuration(String)

    public var description: String {
        switch self {
        case .configuration(let message): return "configuration error: \(message)"
        }
    }
}
