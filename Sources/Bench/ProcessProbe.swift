import Foundation

/// Reads a process's CPU time and peak memory from /proc.
public enum ProcessProbe {
    /// User plus system CPU seconds used so far by `pid`.
    public static func cpuSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        // Fields after the command name: state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Peak resident set size of `pid` in MiB (`VmHWM`).
    public static func peakRSSMiB(_ pid: Int32) -> Double {
        field("VmHWM", pid) / 1024
    }

    /// Current resident set size of `pid` in MiB (`VmRSS`).
    public static func rssMiB(_ pid: Int32) -> Double {
        field("VmRSS", pid) / 1024
    }

    private static func field(_ name: String, _ pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("\(name):") {
            return Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }
}
