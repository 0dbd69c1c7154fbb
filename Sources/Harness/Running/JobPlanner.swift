/// A job ready to run: the suite that runs it and the tier's settings.
public struct PlannedJob: Sendable {
    public var suite: any Suite
    public var job: Job
    /// The tier's settings with the `--set` overrides applied: what the job reads.
    public var settings: [String: ConfigurationValue]
    /// The `--set` values among ``settings`` (recorded with the job, so a varied protocol is
    /// visible in every record).
    public var overrides: [String: ConfigurationValue]
    /// What one job of this suite and tier needs from a cluster scheduler.
    public var resources: JobResources

    public init(
        suite: any Suite, job: Job, settings: [String: ConfigurationValue],
        overrides: [String: ConfigurationValue] = [:], resources: JobResources = .default(for: .smoke)
    ) {
        self.suite = suite
        self.job = job
        self.settings = settings
        self.overrides = overrides
        self.resources = resources
    }
}

/// Configuration selections from the command line: `--config key=value`, repeatable; several
/// values of one key select any of them.
public struct ConfigurationFilter: Sendable, Equatable {
    public var values: [String: [ConfigurationValue]]

    public init(_ values: [String: [ConfigurationValue]] = [:]) { self.values = values }

    /// Parses `key=value` arguments.
    ///
    /// - Throws: ``HarnessError`` `.invalidArgument` for an argument without `=`.
    public init(parsing arguments: [String]) throws {
        var values: [String: [ConfigurationValue]] = [:]
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw HarnessError(.invalidArgument, "--config '\(argument)' is not key=value (for example --config m=20)")
            }
            let key = String(argument[..<equals])
            let value = try ConfigurationValue(checking: String(argument[argument.index(after: equals)...]), flag: "--config", key: key)
            if !(values[key]?.contains(value) ?? false) { values[key, default: []].append(value) }
        }
        self.values = values
    }

    public var isEmpty: Bool { values.isEmpty }
}

/// Tier settings changed for one run: `--set epochs_lenet5=20`.
///
/// A key must be a setting of at least one selected suite's tier plan; a value must have the
/// setting's type (an integer where the tier has an integer, a number where it has a number, text
/// where it has text). Suites that lack the key are left as they are.
public struct SettingOverrides: Sendable, Equatable {
    public var values: [String: ConfigurationValue]

    public init(_ values: [String: ConfigurationValue] = [:]) { self.values = values }

    /// Parses `key=value` arguments (a later one wins).
    ///
    /// - Throws: ``HarnessError`` `.invalidArgument` for an argument without `=`.
    public init(parsing arguments: [String]) throws {
        var values: [String: ConfigurationValue] = [:]
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw HarnessError(.invalidArgument, "--set '\(argument)' is not key=value (for example --set epochs=20)")
            }
            let key = String(argument[..<equals])
            values[key] = try ConfigurationValue(checking: String(argument[argument.index(after: equals)...]), flag: "--set", key: key)
        }
        self.values = values
    }

    public var isEmpty: Bool { values.isEmpty }

    /// The arguments that reproduce these overrides, sorted by key.
    public var arguments: [String] { values.keys.sorted().flatMap { ["--set", "\($0)=\(values[$0]!)"] } }

    /// The overrides of keys `settings` has (those a suite's jobs record as overridden).
    public func applicable(to settings: [String: ConfigurationValue]) -> [String: ConfigurationValue] {
        values.filter { settings[$0.key] != nil }
    }

    /// `settings` with the overrides of keys it has applied.
    ///
    /// - Throws: ``HarnessError`` `.invalidConfiguration` when a value's type differs from the
    ///   setting's, naming the suite, the key and the tier's value.
    public func applied(to settings: [String: ConfigurationValue], of suite: String) throws -> [String: ConfigurationValue] {
        var result = settings
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let current = settings[key] else { continue }
            let fits: Bool
            switch (current, value) {
            case (.int, .int), (.string, .string), (.double, .double), (.double, .int): fits = true
            case (.int, .double(let d)):
                // `--set epochs=4.0` is `epochs=4`: one configuration, one set of random streams.
                guard let integer = Int(exactly: d) else {
                    throw HarnessError(
                        .invalidConfiguration, "\(suite): --set \(key)=\(value): '\(key)' takes an integer (the tier has \(current))")
                }
                result[key] = .int(integer)
                continue
            default: fits = false
            }
            guard fits else {
                throw HarnessError(.invalidConfiguration,
                                   "\(suite): --set \(key)=\(value): the tier's '\(key)' is \(current), a value of another type")
            }
            if case .double = current, let number = value.numericValue { result[key] = .double(number) } else { result[key] = value }
        }
        return result
    }
}

/// Which implementations a run plans (`--implementation`): `native` alone by default, named
/// ones, or every one each suite has.
public enum ImplementationSelection: Sendable, Equatable {
    case all
    case named([String])

    public static let native = ImplementationSelection.named([ImplementationManifest.native])

    /// Parses `--implementation` values: names, comma-separated or repeated; `all`. None: `native`.
    /// - Throws: ``HarnessError`` `.invalidArgument` for a value that names nothing (`''`, `,`).
    public init(parsing values: [String]) throws {
        var names: [String] = []
        for value in values {
            let parts = value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard !parts.contains(where: \.isEmpty) else {
                throw HarnessError(.invalidArgument, "--implementation '\(value)' names no implementation (for example --implementation native,pytorch or all)")
            }
            names += parts
        }
        if names.isEmpty { self = .native } else if names.contains("all") { self = .all } else {
            var unique: [String] = []
            for name in names where !unique.contains(name) { unique.append(name) }
            self = .named(unique)
        }
    }

    /// The `--implementation` arguments that select the same (none for `native` alone).
    public var arguments: [String] {
        switch self {
        case .all: ["all"]
        case .named(let names): names == [ImplementationManifest.native] ? [] : names
        }
    }
}

/// Expands suites × configurations × seeds × implementations into jobs.
public enum JobPlanner {
    /// The jobs of a benchmark run, in suite, configuration and seed order.
    ///
    /// A filter key keeps the configurations whose value is one of the requested ones; when no
    /// configuration of the tier has such a value, the requested values are substituted into every
    /// configuration (so `--config m=40` runs m = 40 at a tier whose grid does not have it).
    /// Suites whose grid lacks a filter key are left out.
    ///
    /// - Throws: ``HarnessError`` `.unknownConfigurationKey` when no selected suite has a key
    ///   (naming the valid keys), `.invalidArgument` for seeds < 1.
    public static func plan(
        suites: [any Suite], tier: Tier, seeds: Int? = nil, filter: ConfigurationFilter = ConfigurationFilter(),
        overrides: SettingOverrides = SettingOverrides(), implementations: ImplementationSelection = .native,
        catalogue: ImplementationCatalogue = .default
    ) throws -> [PlannedJob] {
        if let seeds, seeds < 1 { throw HarnessError(.invalidArgument, "--seeds must be at least 1, got \(seeds)") }
        if let seeds, seeds > PlanLimits.maximumSeeds {
            throw HarnessError(
                .invalidArgument, "--seeds \(seeds) is more than \(PlanLimits.maximumSeeds), the most seeds one configuration may have")
        }
        let settingKeys = Set(suites.flatMap { $0.plan(for: tier).settings.keys })
        for key in overrides.values.keys.sorted() where !settingKeys.contains(key) {
            throw HarnessError(
                .unknownConfigurationKey,
                "unknown tier setting '\(key)' for \(suites.map(\.name).joined(separator: ", ")) at tier \(tier.rawValue); valid settings: \(settingKeys.sorted().joined(separator: ", "))")
        }
        let allKeys = Set(suites.flatMap { suite in suite.plan(for: tier).configurations.flatMap(\.keys) + suite.optionalAxes.map(\.key) })
        for key in filter.values.keys.sorted() where !allKeys.contains(key) {
            if key == ImplementationManifest.configurationKey {
                // The implementation is an axis of its own, chosen with its own flag.
                let flags = (filter.values[key] ?? []).map { "--implementation \($0.description)" }.joined(separator: " ")
                throw HarnessError(
                    .unknownConfigurationKey,
                    "unknown configuration key '\(key)': choose implementations with \(flags) (or --implementation all), not --config")
            }
            throw HarnessError(
                .unknownConfigurationKey,
                "unknown configuration key '\(key)' for \(suites.map(\.name).joined(separator: ", ")) at tier \(tier.rawValue); valid keys: \(allKeys.sorted().joined(separator: ", "))")
        }
        let available = Dictionary(uniqueKeysWithValues: suites.map { ($0.name, $0.implementationNames(in: catalogue)) })
        if case .named(let names) = implementations {
            let known = Set(available.values.joined())
            for name in names where !known.contains(name) {
                throw HarnessError(
                    .unknownImplementation,
                    "unknown implementation '\(name)' for \(suites.map(\.name).joined(separator: ", ")); they have: \(known.sorted().joined(separator: ", ")), all (see `tnbench list`)")
            }
        }
        var jobs: [PlannedJob] = []
        for suite in suites {
            let chosen: [String] = switch implementations {
            case .all: available[suite.name] ?? []
            case .named(let names): (available[suite.name] ?? []).filter(names.contains)
            }
            guard !chosen.isEmpty else { continue }
            let manifests = try Dictionary(uniqueKeysWithValues: chosen.filter { $0 != ImplementationManifest.native }.map {
                ($0, try catalogue.manifest(suite: suite.name, name: $0))
            })
            var plan = suite.plan(for: tier)
            let applied = overrides.applicable(to: plan.settings)
            plan.settings = try overrides.applied(to: plan.settings, of: suite.name)
            let resources = plan.resources ?? .default(for: tier)
            let gridKeys = Set(plan.configurations.flatMap(\.keys))
            let optional = Dictionary(uniqueKeysWithValues: suite.optionalAxes.filter { !gridKeys.contains($0.key) }.map { ($0.key, $0) })
            guard filter.values.keys.allSatisfy({ gridKeys.contains($0) || optional[$0] != nil }) else { continue }
            var configurations = plan.configurations
            for key in filter.values.keys.sorted() {
                let wanted = filter.values[key]!
                if let axis = optional[key] {
                    configurations = try substitute(axis, values: wanted, into: configurations, of: suite)
                    continue
                }
                let kept = configurations.filter { configuration in
                    wanted.contains { configuration.matches(Configuration([key: $0])) }
                }
                if !kept.isEmpty {
                    configurations = kept
                } else {
                    let wanted = try checkSubstitution(key: key, values: wanted, into: plan.configurations, of: suite, tier: tier)
                    var substituted: [Configuration] = []
                    for configuration in configurations {
                        for value in wanted {
                            var next = configuration
                            next[key] = value
                            if !substituted.contains(next) { substituted.append(next) }
                        }
                    }
                    configurations = substituted
                }
            }
            try PlanLimits.check(suite: suite, settings: plan.settings, configurations: configurations, tier: tier)
            let seedCount = seeds ?? plan.seeds
            // Each configuration with the implementations that run it (an external one only
            // where its manifest supports the tier and the configuration).
            // An optional axis' non-default value only where the manifest names it.
            let runs = configurations.map { configuration in
                (configuration, chosen.filter {
                    manifests[$0]?.supports(configuration, at: tier, naming: Set(optional.keys).intersection(configuration.keys)) ?? true
                })
            }
            let count = runs.reduce(0) { $0 + $1.1.count } * seedCount
            guard jobs.count + count <= PlanLimits.maximumJobs else {
                throw HarnessError(
                    .invalidArgument,
                    "\(suite.name): \(configurations.count) configuration(s) × \(seedCount) seed(s) make more than \(PlanLimits.maximumJobs) jobs, the most one plan may hold; select fewer with --config or --seeds")
            }
            // Implementations interleaved within a configuration and seed, so that a run's jobs
            // of one (configuration, seed) share the machine's conditions.
            for (configuration, names) in runs {
                for seed in 0..<seedCount {
                    for name in names {
                        var identity = configuration
                        var asks = resources
                        if name != ImplementationManifest.native { identity[ImplementationManifest.configurationKey] = .string(name) }
                        if manifests[name]?.gpu == true { asks.gpus = max(asks.gpus, 1) }
                        jobs.append(PlannedJob(
                            suite: suite, job: Job(suite: suite.name, configuration: identity, seed: seed),
                            settings: plan.settings, overrides: plan.settings.filter { applied[$0.key] != nil },
                            resources: asks))
                    }
                }
            }
        }
        return jobs
    }

    /// `configurations` with the requested values of an optional axis: the default keeps a
    /// configuration as it is (it has no such key), another value adds the key.
    ///
    /// - Throws: ``HarnessError`` `.invalidConfiguration` for a value the axis does not have,
    ///   naming those it has.
    static func substitute(
        _ axis: OptionalAxis, values: [ConfigurationValue], into configurations: [Configuration], of suite: any Suite
    ) throws -> [Configuration] {
        for value in values where !axis.values.contains(value.description) {
            throw HarnessError(
                .invalidConfiguration,
                "\(suite.name): --config \(axis.key)=\(value): '\(axis.key)' is one of \(axis.values.joined(separator: ", ")) (default \(axis.defaultValue))")
        }
        var result: [Configuration] = []
        for configuration in configurations {
            for value in values {
                var next = configuration
                next[axis.key] = value.description == axis.defaultValue ? nil : .string(value.description)
                if !result.contains(next) { result.append(next) }
            }
        }
        return result
    }

    /// Rejects a substituted value whose type differs from the grid's: `--config m=abc` where
    /// every grid value of `m` is an integer, or `m=2.5` where they are integers. Returns the
    /// values with an integral number for an integer key made an integer (`D=4.0` is `D=4`, the
    /// same configuration name and random streams).
    static func checkSubstitution(
        key: String, values: [ConfigurationValue], into grid: [Configuration], of suite: any Suite, tier: Tier
    ) throws -> [ConfigurationValue] {
        let existing = grid.compactMap { $0[key] }
        guard !existing.isEmpty else { return values }
        let shown = Array(Set(existing)).sorted().map(\.description).joined(separator: ", ")
        let allIntegers = existing.allSatisfy { if case .int = $0 { true } else { false } }
        let allNumbers = existing.allSatisfy { $0.numericValue != nil }
        for value in values {
            let fits: Bool
            switch value {
            case .int: fits = allNumbers
            case .double(let d): fits = allNumbers && (!allIntegers || Int(exactly: d) != nil)
            case .string: fits = !allNumbers
            }
            guard fits else {
                let kind = allIntegers ? "an integer" : "a number"
                throw HarnessError(
                    .invalidConfiguration,
                    "\(suite.name): --config \(key)=\(value): '\(key)' takes \(kind) (the \(tier.rawValue) grid has \(shown))")
            }
        }
        guard allIntegers else { return values }
        var normalized: [ConfigurationValue] = []
        for value in values {
            let integer: ConfigurationValue = if case .double(let d) = value, let i = Int(exactly: d) { .int(i) } else { value }
            if !normalized.contains(integer) { normalized.append(integer) }
        }
        return normalized
    }

    /// The suites named on the command line (`all` selects every one), in registry order.
    ///
    /// - Throws: ``HarnessError`` `.unknownSuite` naming the valid suites.
    public static func select(_ names: [String], from registry: [any Suite]) throws -> [any Suite] {
        if names.isEmpty || names.contains(where: { $0.lowercased() == "all" }) { return registry }
        var selected: [any Suite] = []
        for name in names {
            guard let suite = registry.first(where: { $0.name.lowercased() == name.lowercased() }) else {
                throw HarnessError(
                    .unknownSuite,
                    "unknown suite '\(name)'; valid suites: \((registry.map(\.name) + ["all"]).joined(separator: ", "))")
            }
            if !selected.contains(where: { $0.name == suite.name }) { selected.append(suite) }
        }
        return selected
    }

    /// Parses a tier name. - Throws: ``HarnessError`` `.unknownTier` naming the valid tiers.
    public static func tier(_ name: String) throws -> Tier {
        guard let tier = Tier(rawValue: name.lowercased()) else {
            throw HarnessError(.unknownTier, "unknown tier '\(name)'; valid tiers: \(Tier.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return tier
    }
}
