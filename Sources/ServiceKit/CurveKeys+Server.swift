import ClusterKeys
import ZeroMQ

extension CurveKeys {
    /// Makes a bound socket a CURVE server that authenticates through the ZAP handler.
    public func secureServer(_ socket: ZMQSocket) throws {
        try socket.setCurveServer(true)
        try socket.setCurveSecretKey(own.secretKey)
        try socket.setZAPDomain(ZAPHandler.domain)
    }
}
