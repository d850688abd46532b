internal import CONNXRuntime
#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
internal import LedgeCore
public import Logging
internal import Synchronization

/// What the sessions of one ONNX model share instead of each holding its own: for sessions of
/// an already optimized graph (``ONNXGraph/optimized(_:)``), the graph's initializers — one
/// 64-byte aligned copy handed to every session (`AddInitializer`), where each session would
/// otherwise copy them into memory of its own — and the forms of them its kernels pre-pack
/// (ONNX Runtime's pre-packed weights container, which keeps those of shared initializers only:
/// a MatMul's or Gemm's weights are packed once for all the sessions).
///
/// The instances of a served model open through one share; the share lives as long as a
/// session that uses it. Without a container (the runtime could not make one) sessions
/// open as usual.
public final class ONNXWeightShare: @unchecked Sendable {
    /// Initializers smaller than this are left to each session: they cost less than their bookkeeping.
    static let smallest = 4096

    let runtime: ONNXRuntime
    /// ONNX Runtime's pre-packed weights container; `nil` when it could not be made.
    let container: ORTHandle?
    private let graphWeights = Mutex<SharedInitializers??>(nil)

    /// A share for sessions in `runtime`.
    public init(runtime: ONNXRuntime, logger: Logger) {
        self.runtime = runtime
        var made: OpaquePointer?
        let api = runtime.api
        do throws(ORTFailure) {
            try api.check(api.raw.create_prepacked_weights(&made))
        } catch {
            logger.debug("onnxruntime: no pre-packed weights container (\(error.message)); sessions pack their own")
        }
        container = made.map { ORTHandle($0) { api.raw.release_prepacked_weights($0) } }
    }

    /// The initializers of `graph` (read from `file`), made by the first session that asks and shared
    /// with every later session of the same graph; `nil` for another graph or one whose weights
    /// cannot be read.
    func initializers(for graph: Data, file: ONNXGraphFile, logger: Logger) -> SharedInitializers? {
        graphWeights.withLock { made in
            if let made { return made.flatMap { $0.file == file ? $0 : nil } }
            let shared = SharedInitializers(graph: graph, file: file, runtime: runtime, logger: logger)
            made = .some(shared)
            return shared
        }
    }

    /// Whether sessions of `graph` (read from `file`) share its initializers; the first call makes the shared copy.
    public func sharesInitializers(of graph: Data, file: ONNXGraphFile, logger: Logger) -> Bool {
        initializers(for: graph, file: file, logger: logger) != nil
    }

    /// The initializers shared by the sessions of the graph they were made for, if any.
    var initializersInUse: SharedInitializers? {
        graphWeights.withLock { made in made.flatMap { $0 } }
    }
}

/// One aligned copy of a graph's initializers, the runtime values over it, and the graph to hand
/// the runtime with those weights left out.
final class SharedInitializers: @unchecked Sendable {
    /// The graph the initializers come from (sessions of another graph do not use them).
    let file: ONNXGraphFile
    let storage: TensorStorage
    /// Name and value of each initializer, in the graph's order.
    let values: [(name: String, value: ORTHandle)]
    /// The graph without the shared initializers' bytes (they point at `file` instead), for the
    /// runtime to parse in their place; `nil` when it could not be written (the whole graph is used).
    let externalGraph: Data?
    /// The folder of `file`, where the runtime looks for the file `externalGraph` points at.
    let folder: String

    /// `nil` when `graph` has no initializer worth sharing or the runtime refuses a value.
    init?(graph: Data, file: ONNXGraphFile, runtime: ONNXRuntime, logger: Logger) {
        guard
            let found = ONNXInitializerScan.initializers(
                in: graph, minimumBytes: ONNXWeightShare.smallest),
            !found.isEmpty
        else { return nil }
        let aligned = { (count: Int) in (count + TensorStorage.alignment - 1) / TensorStorage.alignment * TensorStorage.alignment }
        let storage = TensorStorage(byteCount: found.reduce(0) { $0 + aligned($1.bytes.count) })
        let api = runtime.api
        var values: [(name: String, value: ORTHandle)] = []
        var offset = 0
        do throws(ORTFailure) {
            for tensor in found {
                let target = storage.baseAddress + offset
                graph.withUnsafeBytes { source in
                    target.copyMemory(from: source.baseAddress! + tensor.bytes.lowerBound, byteCount: tensor.bytes.count)
                }
                var shape = tensor.dims
                var value: OpaquePointer?
                try api.check(
                    api.raw.create_tensor_with_data(
                        runtime.cpuMemoryInfo.pointer, target, tensor.bytes.count, &shape, shape.count,
                        ledge_ort_element_type(rawValue: UInt32(tensor.elementType)), &value))
                guard let value else { return nil }
                values.append((tensor.name, ORTHandle(value) { api.raw.release_value($0) }))
                offset += aligned(tensor.bytes.count)
            }
        } catch {
            logger.debug("onnxruntime: the graph's initializers are not shared (\(error.message))")
            return nil
        }
        self.file = file
        let slash = file.path.lastIndex(of: "/")
        let folder = slash.map { String(file.path[..<$0]) } ?? "."
        self.folder = folder.isEmpty ? "/" : folder
        let name = slash.map { String(file.path[file.path.index(after: $0)...]) } ?? file.path
        self.externalGraph = ONNXInitializerScan.externalized(graph, found, location: name)
        self.storage = storage
        self.values = values
    }
}
