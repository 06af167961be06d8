import Logging

/// Sets up swift-log for a process: one line per event on standard error.
public enum ProcessLogging {
    /// Bootstraps the logging system once, at the given level, and returns the process logger.
    public static func bootstrap(label: String, level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}
