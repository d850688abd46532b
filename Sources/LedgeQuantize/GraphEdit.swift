internal import LedgeONNXModel

/// Small lookups and edits on a graph that the preparation and quantization passes share.
enum GraphEdit {
    /// The initializers by name.
    static func initializerIndex(_ graph: Onnx_GraphProto) -> [String: Onnx_TensorProto] {
        Dictionary(graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// For each tensor name, the indices of the nodes that read it.
    static func readers(_ graph: Onnx_GraphProto) -> [String: [Int]] {
        var readers: [String: [Int]] = [:]
        for (index, node) in graph.node.enumerated() {
            for input in node.input where !input.isEmpty { readers[input, default: []].append(index) }
        }
        return readers
    }

    /// `base`, or `base_N` for the first N that names nothing in `taken`; the name is added to `taken`.
    static func unique(_ base: String, in taken: inout Set<String>) -> String {
        var name = base
        var counter = 1
        while taken.contains(name) {
            name = "\(base)_\(counter)"
            counter += 1
        }
        taken.insert(name)
        return name
    }

    /// Every tensor name the graph defines: inputs, initializers and node outputs.
    static func definedNames(_ graph: Onnx_GraphProto) -> Set<String> {
        Set(graph.input.map(\.name) + graph.initializer.map(\.name) + graph.node.flatMap(\.output))
    }

    /// Every tensor name a node, a subgraph, a graph input or output uses.
    static func usedNames(_ graph: Onnx_GraphProto) -> Set<String> {
        var used = Set(graph.output.map(\.name))
        func visit(_ nodes: [Onnx_NodeProto]) {
            for node in nodes {
                used.formUnion(node.input)
                for attribute in node.attribute {
                    if attribute.hasG { visit(attribute.g.node); used.formUnion(attribute.g.output.map(\.name)) }
                    for subgraph in attribute.graphs { visit(subgraph.node); used.formUnion(subgraph.output.map(\.name)) }
                }
            }
        }
        visit(graph.node)
        return used
    }

    /// Drops the initializers that nothing reads (and their graph inputs, for old IR versions).
    static func dropUnusedInitializers(_ graph: inout Onnx_GraphProto) {
        let used = usedNames(graph)
        let dropped = Set(graph.initializer.map(\.name)).subtracting(used)
        guard !dropped.isEmpty else { return }
        graph.initializer.removeAll { dropped.contains($0.name) }
        graph.input.removeAll { dropped.contains($0.name) }
    }
}
