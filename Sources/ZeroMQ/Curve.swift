import CZeroMQ

/// A CURVE long-term key pair, both keys in Z85 text (40 characters each).
public struct CurveKeyPair: Sendable, Equatable {
    /// The public key: give it to peers.
    public let publicKey: String
    /// The secret key: keep it private.
    public let secretKey: String

    /// Creates a pair from existing Z85 keys, checking their form.
    public init(publicKey: String, secretKey: String) throws {
        _ = try Self.validatedZ85(publicKey)
        _ = try Self.validatedZ85(secretKey)
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Generates a new random key pair (`zmq_curve_keypair`).
    public static func generate() throws -> CurveKeyPair {
        guard ZMQContext.has("curve") else { throw ZMQUsageError.curveUnsupported }
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        if zmq_curve_keypair(&publicKey, &secretKey) != 0 {
            throw ZMQError.last("zmq_curve_keypair")
        }
        return try CurveKeyPair(publicKey: Self.string(publicKey), secretKey: Self.string(secretKey))
    }

    /// Derives the public key that belongs to a secret key (`zmq_curve_public`).
    public static func publicKey(forSecret secretKey: String) throws -> String {
        guard ZMQContext.has("curve") else { throw ZMQUsageError.curveUnsupported }
        var secret = try validatedZ85(secretKey).map { CChar(bitPattern: $0) }
        secret.append(0)
        var publicKey = [CChar](repeating: 0, count: 41)
        if zmq_curve_public(&publicKey, secret) != 0 { throw ZMQError.last("zmq_curve_public") }
        return string(publicKey)
    }

    /// Decodes a Z85 key to its 32 raw bytes (`zmq_z85_decode`).
    public static func decode(_ z85: String) throws -> [UInt8] {
        var text = try validatedZ85(z85).map { CChar(bitPattern: $0) }
        text.append(0)
        var raw = [UInt8](repeating: 0, count: 32)
        guard zmq_z85_decode(&raw, text) != nil else {
            throw ZMQUsageError.invalidCurveKey("not valid Z85")
        }
        return raw
    }

    /// Encodes 32 raw key bytes as Z85 text (`zmq_z85_encode`).
    public static func encode(_ raw: [UInt8]) throws -> String {
        guard raw.count == 32 else { throw ZMQUsageError.invalidCurveKey("a raw key has 32 bytes, not \(raw.count)") }
        var text = [CChar](repeating: 0, count: 41)
        guard zmq_z85_encode(&text, raw, 32) != nil else { throw ZMQUsageError.invalidCurveKey("encoding failed") }
        return string(text)
    }

    static let z85Alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    static func validatedZ85(_ key: String) throws -> [UInt8] {
        let bytes = Array(key.utf8)
        guard bytes.count == 40 else {
            throw ZMQUsageError.invalidCurveKey("a Z85 key has 40 characters, not \(bytes.count)")
        }
        guard bytes.allSatisfy(z85Alphabet.contains) else {
            throw ZMQUsageError.invalidCurveKey("character outside the Z85 alphabet")
        }
        return bytes
    }

    private static func string(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
