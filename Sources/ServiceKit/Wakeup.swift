import Foundation

/// Wakes a reactor blocked in `zmq_poll` from another thread: a pipe whose read end the
/// reactor polls.
public final class Wakeup: Sendable {
    /// The file descriptor to poll for readability.
    public let readFD: Int32
    private let writeFD: Int32

    public init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw HostError.system("pipe() failed: errno \(errno)") }
        for fd in fds {
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    /// Makes the read end readable. Safe from any thread; never blocks.
    public func wake() {
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
    }

    /// Empties the pipe, on the reactor thread, after the poll reported it readable.
    public func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readFD, &buffer, buffer.count) > 0 {}
    }

    deinit {
        close(readFD)
        close(writeFD)
    }
}

/// A thread-safe queue of messages for a reactor, which it wakes when a message is posted.
public final class Mailbox<Message: Sendable>: Sendable {
    private let queue = LockedValue<[Message]>([])
    /// The wakeup the reactor polls.
    public let wakeup: Wakeup

    public init() throws {
        wakeup = try Wakeup()
    }

    /// Queues a message and wakes the reactor.
    public func post(_ message: Message) {
        queue.withLock { $0.append(message) }
        wakeup.wake()
    }

    /// Takes every queued message (on the reactor thread).
    public func takeAll() -> [Message] {
        wakeup.drain()
        return queue.withLock { messages in
            defer { messages.removeAll() }
            return messages
        }
    }
}

extension Mailbox where Message == ControlMessage {
    /// Takes every queued message (on the reactor thread) and tells whether one was ``ControlMessage/stop``.
    public func takeStop() -> Bool {
        takeAll().contains { message in
            switch message { case .stop: return true }
        }
    }
}

/// Requests a reactor accepts from other threads.
public enum ControlMessage: Sendable {
    /// Finish the current batch, close the sockets and return.
    case stop
}
