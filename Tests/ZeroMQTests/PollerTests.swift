import Foundation
import ServiceKit
import Testing
@testable import ZeroMQ

@Suite struct PollerTests {
    @Test func pollTimesOutWhenNothingIsReady() throws {
        let context = try ZMQContext()
        let a = try ZMQSocket(context, .router)
        try a.bind(Transport.tcp.endpoint())
        let b = try ZMQSocket(context, .sub)
        var poller = ZMQPoller()
        poller.add(a)
        poller.add(b)
        let start = DispatchTime.now()
        #expect(try poller.poll(timeout: 60) == 0)
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        // A lower bound only: the poll waited instead of returning at once.
        #expect(elapsed >= 50)
        #expect(poller.ready(0).isEmpty && poller.ready(1).isEmpty)
        #expect(try poller.poll(timeout: 0) == 0)
    }

    @Test(arguments: Transport.allCases)
    func pollReportsWhichSocketIsReady(_ transport: Transport) throws {
        let context = try ZMQContext()
        let first = try ZMQSocket(context, .pair)
        let firstEndpoint = try first.bind(transport.endpoint())
        let second = try ZMQSocket(context, .pair)
        let secondEndpoint = try second.bind(transport.endpoint())
        let firstPeer = try ZMQSocket(context, .pair)
        try firstPeer.connect(firstEndpoint)
        let secondPeer = try ZMQSocket(context, .pair)
        try secondPeer.connect(secondEndpoint)

        var poller = ZMQPoller()
        poller.add(first)
        poller.add(second)
        try secondPeer.send([[UInt8]("hi")])
        #expect(try poller.poll(timeout: 2000) == 1)
        #expect(!poller.isReadable(0))
        #expect(poller.isReadable(1))
        #expect(try second.tryReceive() == [[UInt8]("hi")])
        _ = firstPeer
    }

    @Test func pollWatchesPlainFileDescriptors() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        var poller = ZMQPoller()
        poller.add(fileDescriptor: fds[0])
        #expect(try poller.poll(timeout: 0) == 0)
        var byte: UInt8 = 1
        #expect(write(fds[1], &byte, 1) == 1)
        #expect(try poller.poll(timeout: 1000) == 1)
        #expect(poller.isReadable(0))
    }

    @Test func contextShutdownWakesABlockedReceive() throws {
        let context = try ZMQContext()
        let outcome = LockedValue<ZMQError.Kind?>(nil)
        let worker = Background {
            do {
                let socket = try ZMQSocket(context, .pull)
                _ = try socket.receive()
            } catch let error as ZMQError {
                outcome.withLock { $0 = error.kind }
            } catch {}
        }
        Thread.sleep(forTimeInterval: 0.1)
        context.shutdown()
        #expect(worker.join())
        #expect(outcome.withLock { $0 } == .terminated)
    }

    @Test func closingWithUnsentMessagesNeverHangs() throws {
        let finished = Background {
            do {
                let context = try ZMQContext()
                let socket = try ZMQSocket(context, .dealer, linger: 0)
                try socket.connect("tcp://127.0.0.1:1")
                for _ in 0..<100 { _ = try socket.trySend([[UInt8]("lost")]) }
                socket.close()
                socket.close()
            } catch {}
            // Context and socket are released here; termination must not block.
        }
        #expect(finished.join(seconds: 5))
    }
}
