import Testing
import _TestSupport
@testable import TensorCore

@Suite(.serialized) struct BLASRuntimeTests {
    /// Setting the count takes effect and ``withBLASThreads(_:_:)`` restores it, under the lock
    /// that keeps other tests from changing the count meanwhile.
    @Test func threadCountRoundTrips() {
        BLASThreadsLock.withLock {
            let previous = BLASRuntime.threadCount
            withBLASThreads(1) {
                #expect(BLASRuntime.threadCount == 1)
            }
            #expect(BLASRuntime.threadCount == previous)
        }
    }

    /// `singleThreaded` runs its body on one thread, returns its value and restores the count.
    @Test func singleThreadedRestoresTheCount() {
        withBLASThreads(2) {
            let inside = BLASRuntime.singleThreaded { BLASRuntime.threadCount }
            #expect(inside == 1)
            #expect(BLASRuntime.threadCount == 2)
        }
    }

    /// The kernel set chosen for an unrecognised CPU is the newest its flags can run.
    @Test func coreTypeFollowsTheInstructionSets() {
        let skylakeX: Set = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
        #expect(BLASRuntime.coreType(forCPUFlags: skylakeX.union(["avx512_bf16", "avx512_fp16"])) == "Cooperlake")
        #expect(BLASRuntime.coreType(forCPUFlags: skylakeX) == "SkylakeX")
        #expect(BLASRuntime.coreType(forCPUFlags: ["sse3", "avx", "avx2", "fma"]) == "Haswell")
        #expect(BLASRuntime.coreType(forCPUFlags: ["sse3", "avx"]) == nil)
        #expect(BLASRuntime.coreType(forCPUFlags: ["avx512f"]) == nil)  // AVX-512 without AVX2/FMA subsets: leave it
    }
}
