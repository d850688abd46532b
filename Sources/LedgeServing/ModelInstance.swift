internal import Dispatch
public import LedgeCore
public import LedgeEngine
internal import Synchronization

/// One loaded copy of a model: a session, its image classifier when the model
/// takes one image, and the serial queue its blocking runs execute on.
public final class ModelInstance: Sendable {
    /// The session; only ever used by the request that borrowed this instance.
    public let session: any InferenceSession
    /// The image pipeline on ``session``, `nil` when the model does not take one image.
    public let classifier: ImageClassifier?
    /// Why ``classifier`` is `nil`, to tell clients of the image endpoint.
    public let classifierError: String?
    /// The intra-op threads ``session`` was opened with: the cores a run on it
    /// keeps busy, which the pool counts (see ``SessionPool``).
    public let threads: Int
    let queue: DispatchQueue
    /// How long the last run on this instance took; runs shorter than
    /// ``SessionPool/inlineLimit`` execute inline (see ``SessionPool/run(_:)``).
    let lastRunNanoseconds = Atomic<Int64>(.max)

    /// An instance over `session`, opened with `threads` intra-op threads; `index` names its queue.
    public init(
        session: any InferenceSession, threads: Int = 1, classifierOptions: ClassifierOptions = ClassifierOptions(), index: Int
    ) {
        self.session = session
        self.threads = max(threads, 1)
        do {
            self.classifier = try ImageClassifier(session: session, options: classifierOptions)
            self.classifierError = nil
        } catch let error as LedgeError {
            self.classifier = nil
            self.classifierError = error.message
        } catch {
            self.classifier = nil
            self.classifierError = String(describing: error)
        }
        self.queue = DispatchQueue(label: "ledge.instance.\(index)")
    }
}
