/// ONNX Runtime session settings beyond the thread count, as a config.pbtxt gives them to
/// Triton's ONNX Runtime backend (``ModelConfig/onnxRuntimeSettings``): `optimization { graph {
/// level } }` and the `parameters` `execution_mode`, `inter_op_thread_count`, `enable_mem_arena`
/// and `enable_mem_pattern`. The defaults are the runtime's, and Ledge's without a config.
public struct ONNXRuntimeSettings: Sendable, Hashable {
    /// How far ONNX Runtime rewrites the graph before it runs it.
    public enum GraphLevel: String, Sendable, Hashable {
        /// No rewriting (Triton's level 2).
        case disabled
        /// Constant folding and redundant nodes removed (level -1).
        case basic
        /// Basic, and fusions of the CPU's kernels (level 1).
        case extended
        /// Everything, the layout changes too (level 0 or none: the default).
        case all
    }

    public var graphLevel: GraphLevel
    /// `execution_mode` 1: operators of independent branches run at once (ONNX Runtime's
    /// parallel executor); 0, the default, runs them one after another.
    public var parallel: Bool
    /// `inter_op_thread_count`: the threads the parallel executor runs operators on; `nil`: the
    /// instance's thread count.
    public var interOpThreads: Int?
    /// `enable_mem_arena`: working memory from an arena the session keeps (the instances of a
    /// served model share one); off, each run allocates and frees its own.
    public var memoryArena: Bool
    /// `enable_mem_pattern`: one allocation per run, planned from the previous run's shapes.
    public var memoryPattern: Bool

    public init(
        graphLevel: GraphLevel = .all, parallel: Bool = false, interOpThreads: Int? = nil, memoryArena: Bool = true,
        memoryPattern: Bool = true
    ) {
        self.graphLevel = graphLevel
        self.parallel = parallel
        self.interOpThreads = interOpThreads
        self.memoryArena = memoryArena
        self.memoryPattern = memoryPattern
    }

    /// Triton's `optimization.graph.level` values: -1 basic, 1 extended, 2 disabled, 0 all.
    public static func graphLevel(triton level: Int) -> GraphLevel? {
        [-1: .basic, 0: .all, 1: .extended, 2: .disabled][level]
    }

    /// What differs from the defaults, for the load's log line (`graph optimization basic, parallel
    /// execution on 2 inter-op threads, memory arena off`); empty with the defaults.
    public var summary: String {
        var parts: [String] = []
        if graphLevel != .all { parts.append("graph optimization \(graphLevel.rawValue)") }
        if parallel {
            parts.append("parallel execution" + (interOpThreads.map { " on \($0) inter-op thread\($0 == 1 ? "" : "s")" } ?? ""))
        } else if let interOpThreads {
            parts.append("\(interOpThreads) inter-op thread\(interOpThreads == 1 ? "" : "s") (unused: execution is sequential)")
        }
        if !memoryArena { parts.append("memory arena off") }
        if !memoryPattern { parts.append("memory pattern off") }
        return parts.joined(separator: ", ")
    }
}
