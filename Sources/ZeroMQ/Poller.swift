import CZeroMQ

/// Waits for readiness on several sockets (and plain file descriptors) at once: `zmq_poll`.
///
/// A poller refers to its sockets without owning them and, like them, stays on one thread.
public struct ZMQPoller {
    /// What to wait for on an item.
    public struct Events: OptionSet, Sendable {
        public let rawValue: Int16
        public init(rawValue: Int16) { self.rawValue = rawValue }
        /// A message (or data, for a file descriptor) can be read.
        public static let readable = Events(rawValue: Int16(ZMQ_POLLIN))
        /// A message can be sent without blocking.
        public static let writable = Events(rawValue: Int16(ZMQ_POLLOUT))
    }

    private var items: [zmq_pollitem_t] = []
    // Keeps the polled sockets alive while their handles are in `items`.
    private var sockets: [ZMQSocket?] = []

    /// Creates an empty poller.
    public init() {}

    /// The number of registered items.
    public var count: Int { items.count }

    /// Registers a socket and returns its index in the results of ``poll(timeout:)``.
    @discardableResult
    public mutating func add(_ socket: ZMQSocket, events: Events = .readable) -> Int {
        items.append(zmq_pollitem_t(socket: socket.handle, fd: 0, events: events.rawValue, revents: 0))
        sockets.append(socket)
        return items.count - 1
    }

    /// Registers a plain file descriptor (a pipe or eventfd used to wake the loop, say).
    @discardableResult
    public mutating func add(fileDescriptor: Int32, events: Events = .readable) -> Int {
        items.append(zmq_pollitem_t(socket: nil, fd: fileDescriptor, events: events.rawValue, revents: 0))
        sockets.append(nil)
        return items.count - 1
    }

    /// Changes what is waited for on a registered item.
    public mutating func setEvents(_ events: Events, at index: Int) {
        items[index].events = events.rawValue
    }

    /// Waits until an item is ready or `timeout` milliseconds pass (`-1` waits forever, `0`
    /// only checks).
    ///
    /// - Returns: how many items are ready; ask ``ready(_:)`` which ones.
    /// - Throws: ``ZMQError`` (kind ``ZMQError/Kind/interrupted`` when a signal arrived,
    ///   ``ZMQError/Kind/terminated`` when the context was shut down).
    @discardableResult
    public mutating func poll(timeout: Int) throws -> Int {
        let count = Int32(items.count)
        let rc = items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, Int32(count), timeout) }
        if rc < 0 { throw ZMQError.last("zmq_poll") }
        return Int(rc)
    }

    /// Polls like ``poll(timeout:)``, but a wait cut short by a signal is not an error: it
    /// returns `false` (nothing was polled; poll again) instead of throwing.
    public mutating func pollUnlessInterrupted(timeout: Int) throws -> Bool {
        do {
            try poll(timeout: timeout)
            return true
        } catch let error as ZMQError where error.kind == .interrupted {
            return false
        }
    }

    /// The events that were ready on an item at the last ``poll(timeout:)``.
    public func ready(_ index: Int) -> Events {
        Events(rawValue: items[index].revents)
    }

    /// Whether an item was readable at the last ``poll(timeout:)``.
    public func isReadable(_ index: Int) -> Bool {
        ready(index).contains(.readable)
    }
}
