/// How the process allocates large tensors.
public enum LargeAllocations {
    /// Makes glibc serve every allocation of at least `threshold` bytes by its own `mmap` and
    /// give it back to the system when freed.
    ///
    /// By default glibc raises its mmap threshold to the size of each large block freed (up to
    /// 32 MiB), after which blocks of that size come from the heap and freed ones stay in the
    /// process. A two-site sweep frees and allocates [N, m] environments (28.8 MB each at
    /// N = 60,000, m = 120) all along the chain: with the default the m = 120 paper job peaked at
    /// 12.2 GB resident for 5.6 GB of live environments; with a 4 MiB threshold, at 6.4 GB.
    /// Setting the threshold also turns the dynamic adjustment off — of the trim threshold too,
    /// which then stays at glibc's 128 KiB: every free that leaves more than that at the top of a
    /// heap gives the pages back, and the next step's tensors fault them in again, zeroed by the
    /// kernel (9% of a TN4ML epoch at D = 200, one thread). So the heaps keep up to `keptFree`
    /// bytes of freed small blocks (default 64 MiB; blocks above `threshold` never live there).
    /// Call it once, before the work (the `tnbench` tool does). No effect outside glibc.
    public static func returnFreedBlocksToTheSystem(threshold: Int = 4 << 20, keptFree: Int = 64 << 20) {
        #if os(Linux)
        let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD of <malloc.h>
        let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD
        _ = glibcMallopt(mmapThreshold, Int32(clamping: threshold))
        _ = glibcMallopt(trimThreshold, Int32(clamping: keptFree))
        #endif
    }
}

#if os(Linux)
/// glibc's `int mallopt(int param, int value)` (<malloc.h>, which Swift's Glibc module leaves out).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
