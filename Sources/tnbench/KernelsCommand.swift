import ArgumentParser
import Foundation
import Harness
import TensorCore

/// `tnbench kernels`: GFLOP/s of the contraction kernels every suite's hot loop lives under.
///
/// The ceiling is measured, not assumed: `cblas_?gemm` called directly at 1024³ with the same
/// thread count and precision. Every other row is reported as a percentage of it.
struct KernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Benchmark the contraction kernels (GFLOP/s against OpenBLAS's own GEMM rate).",
        discussion: """
            For each BLAS thread count and precision: gemm at 1024³ through TensorCore and \
            through cblas directly (the ceiling), the small GEMMs of the MPS suites (environment \
            absorption [B, D]·[D, dD]; the bond update's forward and adjoint GEMMs with C = 10, \
            chunk 1024), 1024 tiny products through Tensor.batchedMatmul against one GEMM, \
            end to end Environment.absorbLeft (N = 10,000, D = 20), the three im2col GEMMs \
            (forward, kernel gradient, patch gradient) of LeNet-5's convolutions on a batch of \
            100 and those Conv2D layers' forward and backward passes end to end (the direct \
            loop for the first two), one LeNet-5 and one MPO-LeNet-5 training step (batch 100, \
            whole and in 4 shards), and one \
            TwoSiteSweeper right half-sweep (20 sites, N = 10,000, m = 20) with 1 worker and \
            with one per thread, and one BondGradientSweeper mini-batch (tn4ml's Sweeps on the \
            breast-cancer shape: 30 sites, d = 3, C = 2, batch 32, D = 10 and 50) beside the \
            thin SVD of one [3D, 3D] merged matrix. Also Gao et al.'s MPO layers (MPO-FC2's first \
            layer at D = 2, 4, 16, its second layer and MPO-LeNet-5's 400→120 layer, batch 100) \
            forward and backward (with the input gradient, but for a first layer) in both \
            contraction orders, the dense order's own work (the matrix from \
            the MPO's two halves, MPO.denseContraction; the projection of a matrix gradient onto \
            the cores, MPO.coreGradients), one FC2 and one MPO-FC2 training step (D = 1, 2, 4, 16; \
            batch 100) with the MPO-FC2/FC2 ratio of their best times, and tn4ml's gauge fixing (mixed canonical form \
            and normalization of a 30-site, d = 3 MPS at D = 50 and 200). --no-sweeps leaves out \
            the two sweepers' rows and the SVD beside them. Also the gradient-descent MPS \
            engine's training batch (B = 32) on Barratt et al.'s, the distillation's and tn4ml's \
            shapes, beside one site's chain and adjoint steps (D = 10, 20; float32) in the lane \
            kernels and in the row-major sequences they replace. --only GROUP (repeatable) times those groups alone, beside the ceiling: \
            \(KernelGroup.allCases.map(\.rawValue).joined(separator: ", ")).

            Times come from CLOCK_MONOTONIC: after warm-up calls, each of K repetitions runs the \
            kernel back to back for at least 50 ms (5 ms with --quick); best and median are \
            over the repetitions. With --json, prints one JSON array, one object per row.

            Thread counts and precisions are repeated options: --threads 1 --threads 4 \
            --precision float64.

            \(exitStatusHelp([.ok]))
            """)

    @Option(parsing: .singleValue, help: "A BLAS thread count (repeatable).")
    var threads: [Int] = [1, 2]

    @Option(name: .customLong("precision"), parsing: .singleValue, help: "A precision (repeatable).")
    var precisions: [KernelPrecision] = KernelPrecision.allCases

    @Flag(help: "Fewer repetitions and shorter timings (for tests and CI).")
    var quick = false

    @Flag(help: "Skip the end-to-end sweeper rows (TwoSiteSweeper half-sweeps, BondGradientSweeper batches; the slowest rows).")
    var noSweeps = false

    @Option(parsing: .singleValue, help: "Time only this group of rows, beside the ceiling (repeatable).")
    var only: [KernelGroup] = []

    @Flag(help: "Print the machine-readable JSON array instead of the table.")
    var json = false

    func run() throws {
        let threadCounts = try checkedThreadCounts()
        let plan: TimingPlan = quick ? .quick : .standard
        let previous = BLASRuntime.threadCount
        defer { BLASRuntime.setThreadCount(previous) }

        var results: [KernelResult] = []
        for count in threadCounts {
            BLASRuntime.setThreadCount(count)
            for precision in precisions {
                let progress: (String) -> Void = { line in
                    FileHandle.standardError.write(Data("tnbench kernels: \(line)\n".utf8))
                }
                var rows: [KernelResult]
                switch precision {
                case .float32:
                    rows = try KernelBenchmarks<Float>(plan: plan, threads: count, progress: progress).run(sweeps: !noSweeps, only: only.isEmpty ? nil : Set(only))
                case .float64:
                    rows = try KernelBenchmarks<Double>(plan: plan, threads: count, progress: progress).run(sweeps: !noSweeps, only: only.isEmpty ? nil : Set(only))
                }
                let ceiling = rows.first { $0.kernel == "cblas_gemm (direct)" }!.gflopsBest
                for i in rows.indices { rows[i].percentOfCeiling = 100 * rows[i].gflopsBest / ceiling }
                results += rows
            }
        }

        if json {
            print(String(decoding: try JSONEncoder.prettySorted.encode(results), as: UTF8.self))
        } else {
            print(KernelTable(results: results, provenance: .current(), plan: plan).text())
        }
    }

    /// The thread counts, each positive and at most the machine's processors.
    private func checkedThreadCounts() throws -> [Int] {
        if let count = threads.first(where: { $0 < 1 }) {
            throw HarnessError(.invalidArgument, "--threads \(count): expected a positive number of BLAS threads, e.g. --threads 1 --threads 2")
        }
        // A ceiling is a property of the cores: more BLAS threads than processors only
        // time-share them (and tens of thousands of threads never finish starting). Two are
        // always allowed, so the default 1 and 2 run on a one-core machine.
        let processors = max(ProcessInfo.processInfo.activeProcessorCount, 2)
        if let count = threads.first(where: { $0 > processors }) {
            throw HarnessError(.invalidArgument, "--threads \(count): this machine has \(processors) processor(s) for BLAS; use 1…\(processors)")
        }
        return threads
    }
}

/// The precisions `tnbench kernels` times, spelled as ``BLASScalar/precisionName`` spells them.
enum KernelPrecision: String, CaseIterable, ExpressibleByArgument {
    case float32, float64
}

/// The text report: a header with the machine, an aligned table, and the ours/direct ratios.
struct KernelTable {
    var results: [KernelResult]
    var provenance: Provenance
    var plan: TimingPlan

    func text() -> String {
        var lines = [
            "TNBench kernels — \(provenance.cpuModel), \(BLASRuntime.processorCount) processors",
            "BLAS: \(provenance.blasConfiguration) · commit \(provenance.shortCommit) · \(provenance.buildConfiguration) build",
            "K = \(plan.repetitions) repetitions of ≥ \(Int(plan.minimumSeconds * 1000)) ms after \(plan.warmUps) warm-up call(s) "
                + "(sweeps: \(plan.sweepRepetitions) timed half-sweep(s) after a warm-up pair); "
                + "ceiling = direct cblas 1024³ best, same threads and precision",
            "",
        ]
        let header = ["kernel", "shape", "precision", "threads", "GFLOP/s best", "GFLOP/s median", "% ceiling"]
        let rows = results.map { r in
            [r.kernel, r.shape, r.precision, String(r.threads), format(r.gflopsBest), format(r.gflopsMedian),
             r.percentOfCeiling.map { format($0) } ?? "—"]
        }
        let numeric: Set<Int> = [3, 4, 5, 6]
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max()!
        }
        func line(_ cells: [String]) -> String {
            cells.indices.map { i in
                let pad = String(repeating: " ", count: widths[i] - cells[i].count)
                return numeric.contains(i) ? pad + cells[i] : cells[i] + pad
            }.joined(separator: "  ")
        }
        lines.append(line(header))
        lines.append(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "))
        var previousGroup: String?
        for (result, row) in zip(results, rows) {
            let group = "\(result.threads) \(result.precision)"
            if let previousGroup, previousGroup != group { lines.append("") }
            previousGroup = group
            lines.append(line(row))
        }
        lines.append("")
        for direct in results where direct.kernel == "cblas_gemm (direct)" {
            guard let ours = results.first(where: {
                $0.kernel == "gemm" && $0.shape == direct.shape && $0.threads == direct.threads && $0.precision == direct.precision
            }) else { continue }
            lines.append("gemm 1024³ ours/direct, \(direct.precision), \(direct.threads) thread(s): "
                + "\(String(format: "%.3f", ours.gflopsBest / direct.gflopsBest)) (best), "
                + "\(String(format: "%.3f", ours.gflopsMedian / direct.gflopsMedian)) (median)")
        }
        for fc2 in results where fc2.kernel == "FC2 training step" {
            let steps = results.filter {
                $0.kernel == "MPO-FC2 training step" && $0.threads == fc2.threads && $0.precision == fc2.precision
            }
            guard !steps.isEmpty else { continue }
            let ratios = steps.map { step in
                "\(step.shape.replacingOccurrences(of: "batch 100, ", with: "")) "
                    + String(format: "%.2f", step.secondsPerCallBest / fc2.secondsPerCallBest)
            }
            lines.append("MPO-FC2 step / FC2 step (best times), \(fc2.precision), \(fc2.threads) thread(s): "
                + ratios.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    private func format(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : value >= 10 ? String(format: "%.1f", value) : String(format: "%.2f", value)
    }
}
