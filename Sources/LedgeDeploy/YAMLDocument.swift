internal import CYAML
internal import LedgeCore

/// One YAML document read with Debian's libyaml (its document API, `yaml_parser_load`), as a
/// tree of ``Node``s. libyaml resolves anchors and aliases; mapping keys must be scalars and
/// unique; one document per file. Errors are `FILE:LINE:COLUMN: problem` (``LedgeError/Code/invalidInput``).
struct YAMLDocument {
    /// A position in the file, 1-based.
    struct Mark: Sendable, Hashable, CustomStringConvertible {
        var line: Int
        var column: Int
        var description: String { "\(line):\(column)" }
    }

    /// A key of a mapping with its value.
    struct Entry: Sendable {
        var key: String
        var keyMark: Mark
        var value: Node
    }

    indirect enum Node: Sendable {
        /// The text, and whether it was plain (unquoted, not a block scalar).
        case scalar(String, plain: Bool, Mark)
        case sequence([Node], Mark)
        case mapping([Entry], Mark)

        var mark: Mark {
            switch self {
            case .scalar(_, _, let mark), .sequence(_, let mark), .mapping(_, let mark): return mark
            }
        }

        /// A plain empty, `~` or `null` scalar.
        var isNull: Bool {
            if case .scalar(let text, true, _) = self { return ["", "~", "null", "Null", "NULL"].contains(text) }
            return false
        }
    }

    /// The document's root; `nil` for an empty file.
    let root: Node?

    /// Nodes a document may expand to (aliases can repeat a subtree), and its depth.
    static let nodeLimit = 100_000
    static let depthLimit = 64

    init(text: String, file: String) throws {
        let parser = Parser(Array(text.utf8))
        guard parser.load() else { throw parser.error(file: file) }
        guard let rootNode = yaml_document_get_root_node(parser.document) else {
            root = nil
            return
        }
        var budget = Self.nodeLimit
        root = try Self.convert(rootNode, document: parser.document, file: file, depth: 0, budget: &budget)
        guard parser.load() else { throw parser.error(file: file) }
        if let extra = yaml_document_get_root_node(parser.document) {
            throw LedgeError.invalidInput("\(file):\(Self.mark(extra.pointee.start_mark)): expected one YAML document, found a second")
        }
    }

    private static func mark(_ mark: yaml_mark_t) -> Mark { Mark(line: Int(mark.line) + 1, column: Int(mark.column) + 1) }

    private static func convert(
        _ node: UnsafeMutablePointer<yaml_node_t>, document: UnsafeMutablePointer<yaml_document_t>, file: String, depth: Int,
        budget: inout Int
    ) throws -> Node {
        let at = mark(node.pointee.start_mark)
        budget -= 1
        guard budget >= 0, depth < depthLimit else {
            throw LedgeError.invalidInput("\(file):\(at): more than \(nodeLimit) nodes or \(depthLimit) levels (a recursive alias?)")
        }
        func child(_ index: Int32) throws -> Node {
            guard let item = yaml_document_get_node(document, index) else {
                throw LedgeError.invalidInput("\(file):\(at): libyaml gave a node without its child")
            }
            return try convert(item, document: document, file: file, depth: depth + 1, budget: &budget)
        }
        switch node.pointee.type {
        case YAML_SCALAR_NODE:
            let scalar = node.pointee.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            return .scalar(text, plain: scalar.style == YAML_PLAIN_SCALAR_STYLE, at)
        case YAML_SEQUENCE_NODE:
            let items = node.pointee.data.sequence.items
            var nodes: [Node] = []
            var item = items.start
            while let current = item, current != items.top {
                nodes.append(try child(current.pointee))
                item = current + 1
            }
            return .sequence(nodes, at)
        case YAML_MAPPING_NODE:
            let pairs = node.pointee.data.mapping.pairs
            var entries: [Entry] = []
            var keys: Set<String> = []
            var pair = pairs.start
            while let current = pair, current != pairs.top {
                let key = try child(current.pointee.key)
                guard case .scalar(let name, _, let keyMark) = key else {
                    throw LedgeError.invalidInput("\(file):\(key.mark): a mapping key must be a scalar")
                }
                guard keys.insert(name).inserted else {
                    throw LedgeError.invalidInput("\(file):\(keyMark): duplicate key '\(name)'")
                }
                entries.append(Entry(key: name, keyMark: keyMark, value: try child(current.pointee.value)))
                pair = current + 1
            }
            return .mapping(entries, at)
        default:
            throw LedgeError.invalidInput("\(file):\(at): an empty node")
        }
    }

    /// libyaml's parser and the document it loaded last, freed together.
    private final class Parser {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        let document = UnsafeMutablePointer<yaml_document_t>.allocate(capacity: 1)
        private let input: UnsafeMutableBufferPointer<UInt8>
        private var initialized = false
        private var loaded = false

        init(_ bytes: [UInt8]) {
            input = .allocate(capacity: max(1, bytes.count))
            _ = input.initialize(from: bytes)
            initialized = yaml_parser_initialize(parser) == 1
            if initialized { yaml_parser_set_input_string(parser, input.baseAddress, bytes.count) }
        }

        /// Loads the next document (an empty one at the end of the stream); false on an error.
        func load() -> Bool {
            guard initialized else { return false }
            if loaded { yaml_document_delete(document) }
            // On an error, libyaml frees what it had loaded of the document itself.
            loaded = yaml_parser_load(parser, document) == 1
            return loaded
        }

        /// libyaml's problem, where it is.
        func error(file: String) -> LedgeError {
            guard initialized else { return LedgeError.invalidInput("\(file): libyaml could not start (out of memory)") }
            let problem = parser.pointee.problem.map { String(cString: $0) } ?? "out of memory"
            return LedgeError.invalidInput("\(file):\(YAMLDocument.mark(parser.pointee.problem_mark)): \(problem)")
        }

        deinit {
            if loaded { yaml_document_delete(document) }
            if initialized { yaml_parser_delete(parser) }
            parser.deallocate()
            document.deallocate()
            input.deallocate()
        }
    }
}
