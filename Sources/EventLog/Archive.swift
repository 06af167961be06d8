import CompressNIO

import Foundation
import NIOCore
import SagaWire

/// Why an archive could not be written or read.
public struct ArchiveError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Writes the events retention removes to archive segments before they are deleted: JSON lines
/// (one event envelope each, as `sys.Replay` gives them), gzip-compressed, one gzip member per
/// retirement batch, synced to disk before ``write(_:)`` returns. A segment
/// (`<service>-<first seq>.jsonl.gz`) is closed at about 64 MiB and the next one begins;
/// `zcat` reads them as they are.
public final class ArchiveWriter {
    public let directory: String
    public let service: String
    private var current: (path: String, bytes: Int)?
    private static let segmentBytes = 64 << 20

    public init(directory: String, service: String) throws {
        self.directory = directory
        self.service = service
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ArchiveError("cannot create the archive directory \(directory): \(error)")
        }
        if let last = try Archive.segments(in: directory, service: service).last {
            let size = (try? FileManager.default.attributesOfItem(atPath: last)[.size] as? NSNumber)??.intValue ?? 0
            if size < Self.segmentBytes { current = (last, size) }
        }
    }

    /// Appends `events` (in log order) as one gzip member and syncs it; returns the segment's path.
    @discardableResult
    public func write(_ events: [Event]) throws -> String? {
        guard let first = events.first else { return nil }
        var text = ByteBuffer()
        for event in events {
            text.writeBytes(WireCodec.encode(.event(event)))
            text.writeInteger(UInt8(ascii: "\n"))
        }
        let compressed: ByteBuffer
        do { compressed = try text.compress(with: .gzip) } catch { throw ArchiveError("compressing the archive failed: \(error)") }
        if current == nil || current!.bytes >= Self.segmentBytes {
            let name = "\(service)-\(String(repeating: "0", count: max(0, 12 - String(first.seq).count)))\(first.seq).jsonl.gz"
            current = ((directory as NSString).appendingPathComponent(name), 0)
        }
        let path = current!.path
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(compressed.readableBytesView))
            try handle.synchronize()
        } catch {
            throw ArchiveError("writing the archive \(path) failed: \(error)")
        }
        current!.bytes += compressed.readableBytes
        return path
    }
}

/// Reading archives back.
public enum Archive {
    /// The segments of a service in `directory`, in order.
    public static func segments(in directory: String, service: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw ArchiveError("cannot list the archive directory \(directory): \(error)")
        }
        return names.filter { $0.hasPrefix("\(service)-") && $0.hasSuffix(".jsonl.gz") }.sorted()
            .map { (directory as NSString).appendingPathComponent($0) }
    }

    /// Every event in a segment, in the order written (every gzip member, one after the other).
    public static func events(inSegment path: String) throws -> [Event] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ArchiveError("cannot read \(path)") }
        var input = ByteBuffer(bytes: data)
        var events: [Event] = []
        var text = ByteBuffer()
        do {
            let inflater = try ZlibDecompressor(algorithm: .gzip)
            var output = ByteBuffer()
            output.reserveCapacity(1 << 20)
            while input.readableBytes > 0 {
                do {
                    try inflater.inflate(from: &input, to: &output)
                    // A member ended with input left: the next member follows.
                    if input.readableBytes > 0 { try inflater.reset() }
                } catch let error as CompressNIOError where error == .bufferOverflow {
                    output.reserveCapacity(output.capacity * 2)
                }
                text.writeBuffer(&output)
                output.clear()
            }
        } catch {
            throw ArchiveError("\(path) is not a readable gzip archive: \(error)")
        }
        for line in text.readableBytesView.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            guard case .event(let event)? = try? WireCodec.decode(Array(line)) else {
                throw ArchiveError("\(path) holds a line that is not an event")
            }
            events.append(event)
        }
        return events
    }
}
