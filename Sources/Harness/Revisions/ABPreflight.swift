import Foundation

/// What `tnbench ab` is asked to compare, checked before anything is built: a release build of a
/// revision takes minutes, so a misspelled revision, suite, configuration filter or setting is
/// reported at once, in one line, with nothing built or checked out (the tier is typed: the
/// command line's parser has checked it).
public struct ABRequest: Sendable, Equatable {
    public var base: String
    /// nil: the head is the running build.
    public var head: String?
    /// Suite names (empty or `all`: every suite).
    public var suites: [String]
    public var tier: Tier
    public var seeds: Int?
    /// `--config key=value` filters and `--set key=value` overrides, as given.
    public var configs: [String]
    public var sets: [String]
    /// An external implementation compared under two requirement sets (then both sides are the
    /// running build, and `base` is its commit).
    public var implementation: String?

    public init(
        base: String, head: String? = nil, suites: [String] = [], tier: Tier = .ci, seeds: Int? = nil,
        configs: [String] = [], sets: [String] = [], implementation: String? = nil
    ) {
        self.implementation = implementation
        self.base = base
        self.head = head
        self.suites = suites
        self.tier = tier
        self.seeds = seeds
        self.configs = configs
        self.sets = sets
    }
}

/// The checked request: both revisions resolved to commits, the tier, and the number of jobs the
/// running build plans for it.
public struct ABPreflight: Sendable {
    public var base: Revision
    /// nil when the head is the running build.
    public var head: Revision?
    public var tier: Tier
    public var jobs: Int

    /// Checks `request` without building: the revisions (`git` must know them), the
    /// suites, the `--config` filters and `--set` overrides (planned by the running build's
    /// planner with `registry`, as `tnbench plan` would), and that some job is left.
    ///
    /// The suites and filters are checked against the running build's suites; a revision that
    /// lacks one of them still says so when it plans, after its build.
    ///
    /// - Throws: ``HarnessError`` `.invalidArgument` (an unknown revision, no job
    ///   selected), `.unknownSuite`, `.unknownConfigurationKey`, `.invalidConfiguration`.
    public static func check(_ request: ABRequest, registry: [any Suite], revisions: RevisionBuilds) throws -> ABPreflight {
        let tier = request.tier
        let suites = try JobPlanner.select(request.suites, from: registry)
        let jobs = try JobPlanner.plan(
            suites: suites, tier: tier, seeds: request.seeds, filter: try ConfigurationFilter(parsing: request.configs),
            overrides: try SettingOverrides(parsing: request.sets),
            implementations: request.implementation.map { .named([$0]) } ?? .native)
        guard !jobs.isEmpty else {
            throw HarnessError(
                .invalidArgument,
                "no job to compare: the --config filters select no configuration of \(suites.map(\.name).joined(separator: ", ")) at tier \(tier.rawValue)")
        }
        if request.implementation != nil {
            // Two requirement sets of one build: the revision is the build's own.
            let base = (try? revisions.resolve(request.base)) ?? Revision(commit: request.base, committed: Timestamp.now(), subject: "")
            return ABPreflight(base: base, head: nil, tier: tier, jobs: jobs.count)
        }
        let base = try revisions.resolve(request.base)
        let head = try request.head.map(revisions.resolve)
        return ABPreflight(base: base, head: head, tier: tier, jobs: jobs.count)
    }
}
