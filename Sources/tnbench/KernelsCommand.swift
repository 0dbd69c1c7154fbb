import ArgumentParser

// Placeholder written by the harness engineer so that the tool builds; the lead replaces this
// file with the kernel benchmarks.
struct KernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels", abstract: "Benchmark the contraction kernels (not yet implemented).")
    func run() throws { print("tnbench kernels: not yet implemented") }
}
