internal import CLedgeProcess
internal import CLiteRT
internal import Synchronization

/// Keeps the XNNPACK worker threads of a multi-thread session on cores of their own, off the
/// core of the thread that runs the session.
///
/// After a pause the workers sleep, and a run's wake-up lets Linux place them on the waking
/// thread's core (wake-affine): the threads of a 2-thread session then share one core. Measured
/// with `ledge bench --run-delay` (efficientnet_lite0, 2 threads, 2 cores): p50 2.3 ms back to
/// back, 5.0 ms with runs 5 ms apart — the single-thread time — and 2.6 ms once the worker was
/// pinned to the other core. ONNX Runtime's pool showed no such loss (6.1 and 6.2 ms).
///
/// The workers are the threads the compile creates: the compiling thread wears a tag name
/// for the call, which threads inherit when they are created (`comm`), and the tag is read back
/// from `/proc/self/task`. Before each run, when the calling thread is on another core than
/// at the last run, each worker is pinned to its own core among the others the process may
/// use. With no workers, or no core to spare for each, nothing is pinned.
final class WorkerPlacement: Sendable {
    /// Kernel ids of the workers.
    let workers: [Int32]
    /// The CPUs the compiling thread might use, ascending.
    private let cpus: [Int32]
    /// The caller's CPU at the last placement (-1: none yet).
    private let placedFor = Atomic<Int32>(-1)
    private static let tags = Atomic<Int>(0)

    private init(workers: [Int32], cpus: [Int32]) {
        self.workers = workers
        self.cpus = cpus
    }

    /// Runs `body` (the compile) with the calling thread tagged, and finds the threads it created.
    static func finding<R>(_ body: () throws -> R) rethrows -> (R, WorkerPlacement?) {
        let tag = "ledge-xnn-\(tags.add(1, ordering: .relaxed).newValue % 100_000)"
        var original = [CChar](repeating: 0, count: 16)
        let named = ledge_thread_name(&original) == 0 && ledge_name_thread(tag) == 0
        let result = try body()
        guard named else { return (result, nil) }
        let own = ledge_litert_thread_id()
        var ids = [Int32](repeating: 0, count: 256)
        let count = Int(ledge_litert_threads_named(tag, &ids, Int32(ids.count)))
        _ = ledge_name_thread(original)
        let workers = ids.prefix(count).filter { $0 != own }
        var allowed = [Int32](repeating: 0, count: 1024)
        let cores = Int(ledge_litert_allowed_cpus(&allowed, Int32(allowed.count)))
        // One core for the caller, one for each worker.
        guard !workers.isEmpty, cores > workers.count else { return (result, nil) }
        return (result, WorkerPlacement(workers: Array(workers), cpus: Array(allowed.prefix(cores))))
    }

    /// Pins the workers to cores other than the calling thread's, unless they already are.
    func place() {
        let current = ledge_litert_current_cpu()
        guard current >= 0, placedFor.exchange(current, ordering: .relaxed) != current else { return }
        let others = cpus.filter { $0 != current }
        for (worker, cpu) in zip(workers, others) { _ = ledge_litert_pin_thread(worker, cpu) }
    }
}
