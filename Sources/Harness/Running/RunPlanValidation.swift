extension RunPlan {
    /// What is wrong with a plan read from disk, or nil when it is sound: a known format
    /// version, every job at the index of its position (0, 1, 2, … in order, so an index handed to
    /// a scheduler names one job), no job planned twice, seeds in the planner's range, suite
    /// names and settings present, overrides among the settings, resources of at least 1.
    ///
    /// A plan is only ever written by the planner, which keeps all of these; a plan that breaks
    /// one was edited by hand or damaged, and running it would record jobs under wrong indices or
    /// abort on a value no planner makes.
    public func problem() -> String? {
        guard formatVersion == Self.formatVersion else {
            return "format_version \(formatVersion) is not \(Self.formatVersion), the only one this tnbench reads (a plan from another tnbench?)"
        }
        var seen: [JobIdentity: Int] = [:]
        seen.reserveCapacity(jobs.count)
        for (position, entry) in jobs.enumerated() {
            guard entry.index == position else {
                return "the job at position \(position) has index \(entry.index); indices must be 0…\(jobs.count - 1) in order"
            }
            guard !entry.suite.isEmpty else { return "job \(entry.index) has an empty suite name" }
            guard (0..<PlanLimits.maximumSeeds).contains(entry.seed) else {
                return "job \(entry.index) has seed \(entry.seed), outside the planner's range 0…\(PlanLimits.maximumSeeds - 1)"
            }
            if let first = seen.updateValue(entry.index, forKey: JobIdentity(entry.job)) {
                return "jobs \(first) and \(entry.index) are the same job (\(entry.job))"
            }
            if let key = entry.configuration.keys.first(where: { $0.isEmpty }) ?? entry.settings.keys.first(where: { $0.isEmpty }) {
                return "job \(entry.index) has a value with an empty key ('\(key)')"
            }
            for (key, value) in entry.overrides.sorted(by: { $0.key < $1.key }) where entry.settings[key] != value {
                return "job \(entry.index) overrides '\(key)' with \(value), but its settings have \(entry.settings[key]?.description ?? "no '\(key)'")"
            }
            let r = entry.resources
            guard r.cpus >= 1, r.memoryMegabytes >= 1, r.timeMinutes >= 1, (0...64).contains(r.gpus) else {
                return "job \(entry.index) asks for \(r.cpus) CPU(s), \(r.memoryMegabytes) MB, \(r.timeMinutes) min, \(r.gpus) GPU(s): each must be at least 1 (GPUs 0 to 64)"
            }
        }
        return nil
    }
}
