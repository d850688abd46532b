#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// How many instances of a model to open, with how many threads each.
///
/// Set explicitly (`--instances`, `--threads`, a config's `instance_group` or
/// `threads`): that many instances of that many threads (instances default to
/// cores ÷ threads, threads to cores ÷ instances, at least 1). Set nowhere: **adaptive**, one one-thread instance per core
/// plus one wide instance with a thread per core, which ``SessionPool`` gives
/// to a request that finds the pool idle, so a lone client's request runs on
/// every core and concurrent ones run one per core, never more threads than cores.
public struct InstancePlan: Sendable, Equatable {
    /// Instances that run side by side, and their threads.
    public var count: Int
    public var threads: Int
    /// Threads of the wide instance; `nil`: none.
    public var wideThreads: Int?

    /// A plan of `count` instances of `threads` threads and a wide one of `wideThreads`.
    public init(count: Int, threads: Int, wideThreads: Int?) {
        self.count = count
        self.threads = threads
        self.wideThreads = wideThreads
    }

    /// The plan for a model given the server's options and the model's config.
    public init(instances: Int?, threads: Int?, configInstances: Int?, configThreads: Int?, cores: Int) {
        let cores = max(cores, 1)
        if instances == nil, threads == nil, configInstances == nil, configThreads == nil {
            count = cores
            self.threads = 1
            wideThreads = cores > 1 ? cores : nil
        } else {
            // Instances without threads share the cores (Triton's ONNX Runtime instances each take
            // every core); threads without instances fill them.
            let given = configInstances ?? instances
            self.threads = max(configThreads ?? threads ?? given.map { cores / max($0, 1) } ?? 1, 1)
            count = max(given ?? cores / self.threads, 1)
            wideThreads = nil
        }
    }

    /// Every instance the plan opens.
    public var total: Int { count + (wideThreads == nil ? 0 : 1) }

    /// The cores this process may run on.
    public static var machineCores: Int { max(ProcessInfo.processInfo.activeProcessorCount, 1) }

    /// The startup line's words for the plans of `models` under the server's plan `standard`:
    /// "2 × 1 thread + 1 × 2 threads per model" (for the models on it, or for later loads when none
    /// is loaded), then each model a config plans otherwise: "'densenet': 4 × 1 thread".
    public static func describe(_ models: [(name: String, plan: InstancePlan?)], standard: InstancePlan) -> String {
        let others = models.compactMap { model in model.plan.flatMap { $0 == standard ? nil : "'\(model.name)': \($0.summary)" } }
        let onStandard = models.isEmpty || others.count < models.count
        return ((onStandard ? [standard.summary + " per model"] : []) + others).joined(separator: "; ")
    }

    /// What the plan is, for the startup line: "2 × 1 thread + 1 × 2 threads".
    public var summary: String {
        func part(_ n: Int, _ t: Int) -> String { "\(n) × \(t) thread\(t == 1 ? "" : "s")" }
        return part(count, threads) + (wideThreads.map { " + " + part(1, $0) } ?? "")
    }
}
