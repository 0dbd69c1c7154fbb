import Foundation

/// Checks on a run directory's path before anything is written into it.
public enum OutputPath {
    /// Refuses an output path that is empty or blank (`--out ""` would write `plan.json`,
    /// `run.json` and `jobs/` into `/` or the current directory's parent chain) or that resolves
    /// to the root directory (`/`, `/tmp/..`, a link to `/`).
    ///
    /// - Throws: ``HarnessError`` `.invalidArgument`, one line naming the path.
    public static func check(_ path: String, flag: String = "--out") throws {
        guard !path.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw HarnessError(.invalidArgument, "\(flag) is empty: name a run directory, e.g. \(flag) results/smoke")
        }
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let resolved = URL(fileURLWithPath: absolute).standardizedFileURL.resolvingSymlinksInPath().path
        guard resolved != "/" && (absolute as NSString).standardizingPath != "/" else {
            throw HarnessError(.invalidArgument, "\(flag) '\(path)' is the root directory: name a run directory of its own, e.g. \(flag) results/smoke")
        }
    }
}
