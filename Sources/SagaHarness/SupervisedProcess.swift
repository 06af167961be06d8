import Foundation
import SagaClient

/// How a supervised process ended, as the kernel reported it to the `waitpid` that reaped it.
public enum ProcessExit: Sendable, Equatable, CustomStringConvertible {
    /// It exited with this status.
    case exited(Int32)
    /// A signal ended it.
    case signalled(Int32)
    /// It did not stop within the deadline and was killed (SIGKILL); `after` is the deadline in
    /// seconds.
    case killedAfterTimeout(after: Double)
    /// Something else reaped it (`waitpid` said ECHILD), so how it ended is not known.
    case lost

    /// Whether it exited with status 0.
    public var isClean: Bool { self == .exited(0) }

    public var description: String {
        switch self {
        case .exited(let status): return "exited with status \(status)"
        case .signalled(let signal): return "was ended by signal \(signal)\(Self.name(signal).map { " (\($0))" } ?? "")"
        case .killedAfterTimeout(let after): return "did not exit within \(Int(after)) s and was killed"
        case .lost: return "was reaped by someone else; how it ended is unknown"
        }
    }

    private static func name(_ signal: Int32) -> String? {
        switch signal {
        case SIGKILL: return "SIGKILL"
        case SIGABRT: return "SIGABRT"
        case SIGSEGV: return "SIGSEGV"
        case SIGTERM: return "SIGTERM"
        case SIGILL: return "SIGILL"
        case SIGTRAP: return "SIGTRAP"
        default: return nil
        }
    }
}

/// Why a process could not be started.
public struct SpawnError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// A child process started with `posix_spawn` and reaped with `waitpid` by its own pid, so its
/// state is never guessed: it runs until the `waitpid` that reaped it says how it ended.
/// (Foundation's `Process` once kept reporting a crashed child as running, and its exit status
/// could be read before it was known.)
///
/// Standard output and standard error are appended to a log file; standard input is
/// `/dev/null`. Owned by one thread at a time.
public final class SupervisedProcess {
    /// The process id.
    public let pid: pid_t
    /// How it ended, once reaped.
    public private(set) var exit: ProcessExit?

    /// Starts `executable` with `arguments` and exactly `environment`, writing its output to
    /// the end of `logPath`.
    public init(executable: String, arguments: [String], environment: [String: String], logPath: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of the supervisor's leaks into the child (sockets, pipes a test reads to
        // its end).
        Self.closeFrom(3, &actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Default signal handling and no blocked signals, whatever the parent set.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(status)))")
        }
        self.pid = pid
    }

    /// Whether it still runs; reaps it (without blocking) if it has ended.
    public var isRunning: Bool {
        reap(blocking: false)
        return exit == nil
    }

    /// Sends a signal, unless it was reaped already (its pid may belong to someone else by now).
    public func signal(_ number: Int32) {
        guard isRunning else { return }
        Foundation.kill(pid, number)
    }

    /// Waits up to `timeout` seconds for it to end; returns how it ended, or `nil` if it still
    /// runs.
    @discardableResult
    public func wait(timeout: Double) -> ProcessExit? {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning {
            if Date() >= deadline { return nil }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return exit
    }

    /// SIGKILL, then waits for it (a killed process ends at once, unless the kernel holds it in
    /// an uninterruptible wait; `timeout` bounds that).
    @discardableResult
    public func kill(timeout: Double = 10) -> ProcessExit? {
        signal(SIGKILL)
        return wait(timeout: timeout)
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34), which Swift's Glibc module does
    /// not export: looked up at run time.
    private static func closeFrom(_ fd: Int32, _ actions: inout posix_spawn_file_actions_t) {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np") else {
            return
        }
        _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, fd)
    }

    private func reap(blocking: Bool) {
        guard exit == nil else { return }
        var status: Int32 = 0
        let result = waitpid(pid, &status, blocking ? 0 : WNOHANG)
        guard result == pid else {
            // ECHILD: someone else reaped it; say so rather than report it running forever.
            if result < 0 && errno == ECHILD { exit = .lost }
            return
        }
        // WIFEXITED / WIFSIGNALED, spelled out (the C macros do not reach Swift).
        let signal = status & 0x7F
        exit = signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
    }
}
