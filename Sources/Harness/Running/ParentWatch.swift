import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ends a worker process when the `run` that started it dies, however it dies (SIGKILL
/// included): an orphaned worker would go on running its job beside the jobs of a resumed run,
/// slowing both and timing the overload.
///
/// Linux's `PR_SET_PDEATHSIG` has the kernel kill the worker the moment its parent ends; a
/// watcher thread that polls `getppid()` covers the moment before it was set and systems
/// without it. The kernel sends the signal when the *thread* that spawned the worker ends, not
/// only the process: `Runner` spawns its workers from the thread that runs its loop, which waits
/// for every worker before it returns, so a live parent never kills its own workers.
public enum ParentWatch {
    /// How often the watcher looks at the parent.
    static let pollSeconds = 0.2

    /// Starts watching: when the parent is no longer `parent`, the process exits at once with
    /// status 130 and writes nothing (the job has no record and a resumed run redoes it).
    public static func start(parent: pid_t) {
        setDeathSignal()
        if getppid() != parent { _exit(130) }
        let thread = Thread {
            while true {
                if getppid() != parent { _exit(130) }
                Thread.sleep(forTimeInterval: pollSeconds)
            }
        }
        thread.stackSize = 64 * 1024
        thread.start()
    }

    /// `prctl(PR_SET_PDEATHSIG, SIGKILL)`, found at run time (`prctl` is variadic, which Swift
    /// does not import); nothing where there is no `prctl`.
    private static func setDeathSignal() {
        #if os(Linux)
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "prctl") else { return }
        let prctl = unsafeBitCast(symbol, to: Prctl.self)
        let setDeathSignal: Int32 = 1  // PR_SET_PDEATHSIG
        _ = prctl(setDeathSignal, UInt(SIGKILL), 0, 0, 0)
        #endif
    }
}
