import Foundation

/// Reads an environment variable, treating an empty value as unset.
public func environment(_ name: String) -> String? {
    guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
    return value
}
