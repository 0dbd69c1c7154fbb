import Foundation
import Testing
@testable import Harness

/// sbatch scripts (what `submit --dry-run` prints), the queue and the status counts.
@Suite struct SlurmTests {
    func options(_ change: (inout SlurmOptions) -> Void = { _ in }) -> SlurmOptions {
        var options = SlurmOptions(executable: "/opt/tnbench/bin/tnbench", dataDirectory: "/data/tn bench", baselines: "/repo/Baselines")
        change(&options)
        return options
    }

    func plannedDirectory(seeds: Int = 5) throws -> (ResultDirectory, RunPlan) {
        let directory = ResultDirectory(temporaryDirectory())
        let jobs = try JobPlanner.plan(suites: [SyntheticSuite()], tier: .smoke, seeds: seeds)
        let plan = try directory.extendPlan(with: jobs, tier: .smoke, request: PlanRequest(suites: ["all"])).plan
        return (directory, plan)
    }

    @Test(arguments: [
        ([0, 1, 2, 5, 7, 8], 2, "0-2,5,7-8%2"),
        ([3], nil, "3"),
        ([9, 8, 7, 7, 1], nil, "1,7-9"),
        ([0, 2, 4], 1, "0,2,4%1"),
    ] as [([Int], Int?, String)])
    func arraySpec(ids: [Int], cap: Int?, expected: String) {
        #expect(SlurmScript.arraySpec(ids, maxConcurrent: cap) == expected)
    }

    @Test func timeAndQuoting() {
        #expect(SlurmScript.time(10) == "00:10:00")
        #expect(SlurmScript.time(720) == "12:00:00")
        #expect(SlurmScript.time(1530) == "1-01:30:00")
        #expect(SlurmScript.quote("/a/b-c_1.h5") == "/a/b-c_1.h5")
        #expect(SlurmScript.quote("/data/tn bench") == "'/data/tn bench'")
        #expect(SlurmScript.quote("it's") == "'it'\\''s'")
    }

    @Test func arrayScriptAsksForTheTiersResourcesAndRunsTheJobByIndex() throws {
        let (directory, plan) = try plannedDirectory()
        let arrays = SlurmScript.arrays(
            directory: directory, plan: plan, indices: [0, 1, 2, 5, 9],
            options: options {
                $0.maxConcurrent = 3
                $0.partition = "short"
                $0.account = "tn-group"
                $0.extraDirectives = ["--qos=long", "#SBATCH --constraint=avx2"]
                $0.preamble = ["module load openblas", "source /opt/env.sh"]
            }, stamp: "20260101-000000")
        #expect(arrays.count == 1)
        let script = arrays[0].script
        let smoke = JobResources.default(for: .smoke)
        #expect(script.hasPrefix("#!/bin/bash\n"))
        for line in [
            "#SBATCH --job-name=\(SlurmScript.jobName(directory))", "#SBATCH --array=0-2,5,9%3",
            "#SBATCH --cpus-per-task=\(smoke.cpus)", "#SBATCH --mem=\(smoke.memoryMegabytes)M", "#SBATCH --time=00:10:00",
            "#SBATCH --output=\(directory.path)/slurm/logs/%A_%a.out", "#SBATCH --error=\(directory.path)/slurm/logs/%A_%a.err",
            "#SBATCH --requeue", "#SBATCH --open-mode=append",
            "#SBATCH --partition=short", "#SBATCH --account=tn-group", "#SBATCH --qos=long", "#SBATCH --constraint=avx2",
            "module load openblas", "source /opt/env.sh",
            "exec /opt/tnbench/bin/tnbench run-job \(directory.path) \"$((SLURM_ARRAY_TASK_ID + 0))\"",
            "--data-dir '/data/tn bench'",
        ] {
            #expect(script.contains(line), "missing: \(line)")
        }
        // Every #SBATCH line comes before the first command (sbatch stops reading them there).
        let lines = script.split(separator: "\n")
        let lastDirective = lines.lastIndex { $0.hasPrefix("#SBATCH") }!
        let firstCommand = lines.firstIndex { !$0.hasPrefix("#") }!
        #expect(lastDirective < firstCommand)
        #expect(arrays[0].scriptPath == "\(directory.path)/slurm/array-20260101-000000-0.sbatch")
    }

    @Test func flagsOverrideTheTiersResources() throws {
        let (directory, plan) = try plannedDirectory()
        let script = SlurmScript.arrays(
            directory: directory, plan: plan, indices: [4], options: options { $0.cpus = 8; $0.timeMinutes = 90 }, stamp: "s")[0].script
        #expect(script.contains("--cpus-per-task=8") && script.contains("--time=01:30:00"))
        #expect(script.contains("--mem=\(JobResources.default(for: .smoke).memoryMegabytes)M"))
        let big = JobResources.maximum([
            JobResources(cpus: 1, memoryMegabytes: 4000, timeMinutes: 5), JobResources(cpus: 4, memoryMegabytes: 100, timeMinutes: 60),
        ])
        #expect(big == JobResources(cpus: 4, memoryMegabytes: 4000, timeMinutes: 60))
    }

    /// Slurm's MaxArraySize: big plans are split into arrays whose task id + offset is the index.
    @Test func largePlansAreSplitIntoOffsetArrays() throws {
        let (directory, plan) = try plannedDirectory()
        let arrays = SlurmScript.arrays(
            directory: directory, plan: plan, indices: [0, 1, 2, 5, 9], options: options { $0.arrayChunk = 4 }, stamp: "s")
        #expect(arrays.map(\.offset) == [0, 4, 8])
        #expect(arrays.map(\.indices) == [[0, 1, 2], [5], [9]])
        #expect(arrays.map(\.arraySpec) == ["0-2", "1", "1"])
        #expect(arrays[1].script.contains("\"$((SLURM_ARRAY_TASK_ID + 4))\""))
    }

    /// An implementation that wants a GPU, interleaved with native jobs: only its jobs go into a
    /// GPU array, and every array's task id + offset is still the plan index of a job of its class.
    @Test func gpuJobsGetArraysOfTheirOwn() throws {
        let directory = ResultDirectory(temporaryDirectory())
        var plan = RunPlan(tier: .smoke)
        plan.jobs = (0..<10).map { index in
            PlanEntry(
                index: index, suite: "Synthetic", configuration: index % 2 == 1 ? ["m": 10, "implementation": "pytorch"] : ["m": 10],
                seed: index / 2, settings: [:], resources: JobResources(cpus: 2, memoryMegabytes: 1000, timeMinutes: 10, gpus: index % 2))
        }
        let arrays = SlurmScript.arrays(
            directory: directory, plan: plan, indices: Array(0..<10), options: options { $0.arrayChunk = 6 }, stamp: "s")
        // Chunk 0 (indices 0…5) and chunk 1 (6…9), each split into a CPU and a GPU array.
        #expect(arrays.map(\.offset) == [0, 0, 6, 6])
        #expect(arrays.map(\.indices) == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]])
        #expect(arrays.map(\.arraySpec) == ["0,2,4", "1,3,5", "0,2", "1,3"])
        for array in arrays {
            let ids = array.arraySpec.split(separator: ",").map { Int($0)! }
            let mapped = ids.map { $0 + array.offset }
            #expect(mapped == array.indices)
            let gpu = try array.indices.map { try plan.entry(at: $0).resources.gpus }
            #expect(Set(gpu).count == 1, "an array mixes resource classes: \(array.indices)")
            #expect(array.script.contains("#SBATCH --gres=gpu:1") == (gpu.first == 1), "\(array.indices)")
            #expect(array.script.contains("\"$((SLURM_ARRAY_TASK_ID + \(array.offset)))\""))
        }
        // Scripts of the same offset do not overwrite each other.
        #expect(Set(arrays.map(\.scriptPath)).count == arrays.count)
        #expect(arrays[1].scriptPath == "\(directory.path)/slurm/array-s-0-gpu1.sbatch")
        #expect(arrays[0].scriptPath == "\(directory.path)/slurm/array-s-0.sbatch")
    }

    @Test func reportScriptMergesComparesAndReports() throws {
        let (directory, _) = try plannedDirectory()
        let script = SlurmScript.reportScript(directory: directory, options: options { $0.allowMixedBuilds = true }, stamp: "s")
        #expect(script.contains("#SBATCH --job-name=\(SlurmScript.jobName(directory))-report"))
        #expect(script.contains("/opt/tnbench/bin/tnbench compare \(directory.path) --baselines /repo/Baselines --allow-mixed-builds > \(directory.path)/compare.txt"))
        #expect(script.contains("exec /opt/tnbench/bin/tnbench report \(directory.path) --baselines /repo/Baselines --out \(directory.path)/report --allow-mixed-builds"))
        #expect(!SlurmScript.reportScript(directory: directory, options: options(), stamp: "s").contains("allow-mixed"))
    }

    @Test func queueParsingAndStatusCounts() throws {
        let queue = Slurm.parseQueue("""
            41|0|RUNNING
            41|3|PENDING
            41|4|PENDING
            42|N/A|PENDING
            77|1|RUNNING
            50|1|COMPLETING

            """)
        #expect(queue.count == 5)
        #expect(queue[0] == SlurmQueueEntry(arrayJobID: "41", taskID: 0, state: "RUNNING"))
        let (directory, plan) = try plannedDirectory(seeds: 4)  // 8 jobs
        try directory.recordSubmission(SlurmSubmission(
            time: "t", arrays: [.init(jobID: "41", offset: 0, indices: [0, 3, 4]), .init(jobID: "50", offset: 4, indices: [5])],
            reportJobID: "42"))
        #expect(directory.submissions().count == 1)
        let queued = directory.queuedIndices(queue)  // job 77 is not this run's
        #expect(queued.running == [0, 5] && queued.pending == [3, 4])

        var states = directory.states(of: plan)
        #expect(states.allSatisfy { $0.status == nil })
        states[1].status = .completed
        states[2].status = .failed
        states[2].message = "Synthetic: setting 'epochs' is missing"
        states[6].status = .diverged
        states[7].status = .completed
        let status = RunStatus(states: states, pending: queued.pending, running: queued.running, queueKnown: true)
        #expect(status.total == 8 && status.completed == 2 && status.failed == 1 && status.diverged == 1)
        #expect(status.running == 2 && status.pending == 2 && status.missing == 0)
        #expect(status.unsuccessful.map(\.entry.index) == [2, 6])
        #expect(status.line == "8 jobs: 2 completed, 1 failed, 1 diverged, 2 running, 2 pending, 0 without a record and not queued")
        let offline = RunStatus(states: states)
        #expect(offline.missing == 4 && offline.line == "8 jobs: 2 completed, 1 failed, 1 diverged, 4 without a record")
        #expect(states[2].needsRun(retryFailed: true) && !states[2].needsRun(retryFailed: false) && states[0].needsRun(retryFailed: false))
        #expect(!states[6].needsRun(retryFailed: true))
    }
}
