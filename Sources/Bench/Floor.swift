import Foundation
import ServiceKit
import SagaWire
import ZeroMQ

/// What the machine can do at best, measured with ZSaga's own ZeroMQ wrapper and the data
/// directory's disk: the floor a saga's latency and throughput are compared with.
public struct FloorResult: Sendable {
    /// Pipelined DEALER→ROUTER→DEALER echoes per second over loopback TCP.
    public var echoPerSecond = 0.0
    /// REQ/REP round trip over loopback TCP, median and 90th percentile, ms.
    public var roundTripP50 = 0.0
    public var roundTripP90 = 0.0
    /// fdatasync of a 4 KiB write in the data directory, median and 90th percentile, ms.
    public var fdatasyncP50 = 0.0
    public var fdatasyncP90 = 0.0

    public var json: JSON {
        ["echo_per_s": .double(echoPerSecond), "rtt_p50_ms": .double(roundTripP50), "rtt_p90_ms": .double(roundTripP90),
         "fdatasync_p50_ms": .double(fdatasyncP50), "fdatasync_p90_ms": .double(fdatasyncP90)]
    }
}

/// Measures the floor.
public enum Floor {
    public static func measure(dataDirectory: String, echoes: Int = 200_000, roundTrips: Int = 5000, syncs: Int = 1000) throws -> FloorResult {
        var result = FloorResult()
        result.echoPerSecond = try echoRate(count: echoes)
        (result.roundTripP50, result.roundTripP90) = try roundTrip(count: roundTrips)
        (result.fdatasyncP50, result.fdatasyncP90) = try fdatasyncLatency(directory: dataDirectory, count: syncs)
        return result
    }

    /// A ROUTER echoing on its own thread; a DEALER keeps `window` messages in flight.
    static func echoRate(count: Int, window: Int = 1000) throws -> Double {
        let context = try ZMQContext()
        let ready = DispatchSemaphore(value: 0)
        let endpoint = LockedValue("")
        let server = Thread {
            do {
                // Linger, so the last echoes still leave when the thread closes the socket.
                let router = try ZMQSocket(context, .router, linger: 5000)
                try router.setSendHighWaterMark(0)
                try router.setReceiveHighWaterMark(0)
                let bound = try router.bind("tcp://127.0.0.1:*")
                endpoint.withLock { $0 = bound }
                ready.signal()
                try router.setReceiveTimeout(10_000)
                var echoed = 0
                while echoed < count {
                    let frames = try uninterrupted { try router.receive() }
                    try uninterrupted { try router.send(frames) }
                    echoed += 1
                }
            } catch {
                ready.signal()
            }
        }
        server.start()
        ready.wait()
        let dealer = try ZMQSocket(context, .dealer)
        try dealer.setSendHighWaterMark(0)
        try dealer.setReceiveHighWaterMark(0)
        try dealer.setReceiveTimeout(10_000)
        try dealer.connect(endpoint.withLock { $0 })
        let payload = [UInt8](repeating: 0x61, count: 200)
        let start = DispatchTime.now()
        var sent = 0, received = 0
        while received < count {
            while sent < count && sent - received < window {
                try uninterrupted { try dealer.send([payload]) }
                sent += 1
            }
            _ = try uninterrupted { try dealer.receive() }
            received += 1
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        return Double(count) / seconds
    }

    /// REQ/REP round trips, one at a time.
    static func roundTrip(count: Int) throws -> (Double, Double) {
        let context = try ZMQContext()
        let ready = DispatchSemaphore(value: 0)
        let endpoint = LockedValue("")
        let server = Thread {
            do {
                // Linger, so the last reply still leaves when the thread closes the socket.
                let rep = try ZMQSocket(context, .rep, linger: 5000)
                try rep.setReceiveTimeout(10_000)
                let bound = try rep.bind("tcp://127.0.0.1:*")
                endpoint.withLock { $0 = bound }
                ready.signal()
                for _ in 0..<(count + 100) {
                    let frames = try uninterrupted { try rep.receive() }
                    try uninterrupted { try rep.send(frames) }
                }
            } catch {
                ready.signal()
            }
        }
        server.start()
        ready.wait()
        let req = try ZMQSocket(context, .req)
        try req.setReceiveTimeout(10_000)
        try req.connect(endpoint.withLock { $0 })
        let payload = [UInt8](repeating: 0x61, count: 200)
        for _ in 0..<100 {
            try uninterrupted { try req.send([payload]) }
            _ = try uninterrupted { try req.receive() }
        }
        var samples: [Double] = []
        samples.reserveCapacity(count)
        for _ in 0..<count {
            let start = DispatchTime.now().uptimeNanoseconds
            try uninterrupted { try req.send([payload]) }
            _ = try uninterrupted { try req.receive() }
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return (percentile(samples, 50), percentile(samples, 90))
    }

    /// 4 KiB writes, each followed by fdatasync, in the data directory.
    static func fdatasyncLatency(directory: String, count: Int) throws -> (Double, Double) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("fdatasync-probe.bin")
        let fd = open(path, O_WRONLY | O_CREAT, 0o644)
        guard fd >= 0 else { throw BenchError("cannot open \(path)") }
        defer {
            close(fd)
            unlink(path)
        }
        let block = [UInt8](repeating: 0x7A, count: 4096)
        var samples: [Double] = []
        for index in 0..<count {
            _ = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, 4096, off_t((index % 64) * 4096)) }
            let start = DispatchTime.now().uptimeNanoseconds
            guard fdatasync(fd) == 0 else { throw BenchError("fdatasync failed: errno \(errno)") }
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return (percentile(samples, 50), percentile(samples, 90))
    }
}

/// The `p`-th percentile (nearest rank) of `samples`.
public func percentile(_ samples: [Double], _ p: Double) -> Double {
    guard !samples.isEmpty else { return 0 }
    let sorted = samples.sorted()
    return sorted[min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count - 1)).rounded())))]
}

/// A failure of the benchmark itself.
public struct BenchError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs a blocking ZeroMQ call again when a signal interrupted it (EINTR), so that a message
/// received before the signal is never dropped on the way back.
private func uninterrupted<T>(_ call: () throws -> T) throws -> T {
    while true {
        do { return try call() } catch let error as ZMQError where error.kind == .interrupted { continue }
    }
}
