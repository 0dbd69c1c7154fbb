import Foundation

/// Where the data sets live: the one place that decides it.
///
/// In order: the `--data-dir` flag when given, else the environment variable
/// `TNBENCH_DATA_DIR` when set and non-empty, else `~/.cache/tnbench/data` (`$HOME/.cache/…`,
/// the XDG cache convention: the data can always be fetched again). A leading `~` is expanded and
/// relative paths are made absolute against the current directory.
///
/// Layout below it: `mnist/` and `fashion-mnist/` (canonical IDX files, the latter gzipped),
/// `breast-cancer/` (`breast_cancer.csv`), each with a `MANIFEST.json` of the
/// files' SHA-256 written after they were verified.
public enum DataDirectory {
    /// The environment variable that overrides the default location.
    public static let environmentVariable = "TNBENCH_DATA_DIR"

    /// The data directory for a `--data-dir` value (or `nil` when the flag was not given).
    public static func resolve(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let flag, !flag.isEmpty { return absolute(flag, environment: environment) }
        if let variable = environment[environmentVariable], !variable.isEmpty {
            return absolute(variable, environment: environment)
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.cache/tnbench/data"
    }

    static func absolute(_ path: String, environment: [String: String]) -> String {
        var path = path
        if path == "~" || path.hasPrefix("~/") {
            let home = environment["HOME"] ?? NSHomeDirectory()
            path = home + path.dropFirst()
        }
        if !path.hasPrefix("/") { path = FileManager.default.currentDirectoryPath + "/" + path }
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }
}
