import Foundation
import ZeroMQ

/// The transports every socket test runs over.
enum Transport: String, CaseIterable, CustomStringConvertible, Sendable {
    case tcp, ipc

    var description: String { rawValue }

    /// A fresh endpoint to bind: an ephemeral loopback port, or a new socket file.
    func endpoint() -> String {
        switch self {
        case .tcp:
            return "tcp://127.0.0.1:*"
        case .ipc:
            let dir = FileManager.default.temporaryDirectory.path
            return "ipc://\(dir)/zsaga-test-\(UUID().uuidString.prefix(12)).sock"
        }
    }
}

extension Array where Element == UInt8 {
    init(_ text: String) { self = Array(text.utf8) }
}

extension ZMQSocket {
    /// Receives with a deadline so a broken test fails instead of hanging.
    func receive(within milliseconds: Int) throws -> [[UInt8]]? {
        var poller = ZMQPoller()
        poller.add(self)
        if try poller.poll(timeout: milliseconds) == 0 { return nil }
        return try tryReceive()
    }
}

/// Runs `body` on a new thread and returns a handle that waits for it.
final class Background: Sendable {
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () -> Void) {
        let done = self.done
        let thread = Thread {
            body()
            done.signal()
        }
        thread.start()
    }

    /// Waits up to `seconds` for the thread to finish; returns whether it did.
    func join(seconds: Double = 10) -> Bool {
        done.wait(timeout: .now() + seconds) == .success
    }
}
