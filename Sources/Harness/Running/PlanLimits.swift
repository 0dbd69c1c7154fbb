/// The bounds the planner holds a plan to, so that no command-line value or hand-edited plan
/// asks for more than a machine can give: a size too large ends in one line at `plan` time
/// instead of an allocation failure that aborts the job and every resume of it.
public enum PlanLimits {
    /// The most seeds (0..<N) one configuration may have. A seed is one independent repetition:
    /// 100,000 is 10,000× the paper tier's seeds and far past where a mean's interval stops
    /// shrinking usefully, yet small enough that the jobs' plan entries (≈ 0.5 kB each) stay in
    /// memory and on disk.
    public static let maximumSeeds = 100_000

    /// The most jobs one planning command may add (≈ 500 MB of `plan.json`).
    public static let maximumJobs = 1_000_000

    /// The range of an integer setting or configuration value whose suite declares no limit
    /// (``Suite/limits``): 0…1,000,000 — no suite has a negative integer setting (they are counts,
    /// sizes, indices and seeds), and 1,000,000 is 16× the largest size any suite uses at any tier
    /// (MNIST's 60,000 training images), small enough that an array of that many examples fits
    /// in memory.
    public static let defaultRange = 0...1_000_000

    /// Checks every integer setting and configuration value of a suite's jobs against its
    /// declared limit, else ``defaultRange``.
    ///
    /// - Throws: ``HarnessError`` `.invalidConfiguration` naming the suite, the key, the value and
    ///   the valid range.
    public static func check(
        suite: any Suite, settings: [String: ConfigurationValue], configurations: [Configuration], tier: Tier
    ) throws {
        let limits = suite.limits
        func check(_ key: String, _ value: ConfigurationValue, _ what: String) throws {
            guard case .int(let i) = value else { return }
            let range = limits[key] ?? defaultRange
            guard !range.contains(i) else { return }
            let origin = limits[key] == nil ? " (no limit declared: the default)" : ""
            throw HarnessError(
                .invalidConfiguration,
                "\(suite.name): \(what) \(key)=\(i) at tier \(tier.rawValue) is out of range; valid: \(range.lowerBound)…\(range.upperBound)\(origin)")
        }
        for key in settings.keys.sorted() { try check(key, settings[key]!, "tier setting") }
        var seen = Set<String>()
        for configuration in configurations {
            for key in configuration.keys where seen.insert("\(key)=\(configuration[key]!)").inserted {
                try check(key, configuration[key]!, "configuration value")
            }
        }
    }
}
