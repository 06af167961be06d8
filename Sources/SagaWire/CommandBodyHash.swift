extension Command {
    /// What a participant records with the command's id, to tell a retry (the same command
    /// again: answered with the recorded reply) from a reuse of the id for another command
    /// (refused with `conflict`): a 64-bit FNV-1a hash of the type and of the body's canonical
    /// JSON (keys sorted, so that the same body always hashes alike, whoever encoded it).
    public var bodyHash: Int64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in type.utf8 + [0] + JSONWriter.canonical(body) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return Int64(bitPattern: hash)
    }
}
