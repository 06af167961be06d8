import Foundation
import Logging

/// How log lines are written.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `time=… level=info label=zsaga.order msg="…" saga_id=… command_id=…`
    case logfmt
    /// One JSON object per line.
    case json
}

/// A swift-log handler that writes one parseable line per event to standard error.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let format: LogFormat

    public init(label: String, format: LogFormat, level: Logger.Level) {
        self.label = label
        self.format = format
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let time = Self.timestamp()
        var line: String
        switch format {
        case .logfmt:
            line = "time=\(time) level=\(event.level.rawValue) label=\(label) msg=\(Self.logfmtValue("\(event.message)"))"
            for key in merged.keys.sorted() { line += " \(key)=\(Self.logfmtValue("\(merged[key]!)"))" }
        case .json:
            var fields = ["\"time\":\(Self.jsonString(time))", "\"level\":\(Self.jsonString(event.level.rawValue))",
                          "\"label\":\(Self.jsonString(label))", "\"msg\":\(Self.jsonString("\(event.message)"))"]
            for key in merged.keys.sorted() { fields.append("\(Self.jsonString(key)):\(Self.jsonString("\(merged[key]!)"))") }
            line = "{" + fields.joined(separator: ",") + "}"
        }
        line += "\n"
        // One write per line: lines from several threads never interleave.
        line.utf8CString.withUnsafeBufferPointer { buffer in _ = write(2, buffer.baseAddress, buffer.count - 1) }
    }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, Int(now.tv_nsec / 1_000_000))
    }

    static func logfmtValue(_ text: String) -> String {
        let plain = !text.isEmpty && text.utf8.allSatisfy { $0 > 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "=") && $0 < 0x7F }
        return plain ? text : jsonString(text)
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
