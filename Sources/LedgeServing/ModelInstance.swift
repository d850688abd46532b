public import LedgeCore
internal import Synchronization

/// One loaded copy of a model: a session and the thread its blocking runs
/// execute on. (What does not need a session, such as an image model's
/// preprocessing and labels, is the model's: ``ServedModel/imagePipeline``.)
public final class ModelInstance: Sendable {
    /// The session; only ever used by the request that borrowed this instance.
    public let session: any InferenceSession
    /// The intra-op threads ``session`` was opened with: the cores a run on it
    /// keeps busy, which the pool counts (see ``SessionPool``).
    public let threads: Int
    let thread: InstanceThread
    /// How long the last run on this instance took; runs shorter than
    /// ``SessionPool/inlineLimit`` execute inline (see ``SessionPool/run(_:)``).
    let lastRunNanoseconds = Atomic<Int64>(.max)

    /// An instance over `session`, opened with `threads` intra-op threads; `index` names its thread.
    public init(session: any InferenceSession, threads: Int = 1, index: Int) {
        self.session = session
        self.threads = max(threads, 1)
        self.thread = InstanceThread(name: "ledge-inst-\(index)")
    }

    deinit { thread.stop() }
}
