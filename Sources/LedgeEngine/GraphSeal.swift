internal import Crypto
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// The end of an ``ONNXGraphCache`` entry: the SHA-256 of the graph before it, then `LEDGEGC1`.
///
/// A device's SD card can flip bits in a file that still parses: a damaged graph would load and
/// answer wrongly, so an entry is used only when its seal matches. The check reads the whole
/// graph once per process and entry (``CheckedSeals``).
enum GraphSeal {
    static let magic = Array("LEDGEGC1".utf8)
    /// Bytes the seal adds.
    static let size = 32 + 8
    /// The seal of `graph`.
    static func seal(_ graph: Data) -> [UInt8] { Array(SHA256.hash(data: graph)) + magic }

    /// The SHA-256 a seal, or an entry ending in one, gives for its graph, in hex: what identifies the graph.
    static func digest(of sealed: some BidirectionalCollection<UInt8>) -> String {
        sealed.dropLast(magic.count).suffix(32).lowercaseHex
    }

    /// The graph in `entry` (read from `path`, identified by `stamp`), or `nil` when its seal is missing or does not match.
    static func graph(in entry: Data, path: String, stamp: String) -> Data? {
        guard entry.count > size, entry.suffix(magic.count).elementsEqual(magic) else { return nil }
        let graph = entry.prefix(entry.count - size)
        let sound = CheckedSeals.sound(path, stamp: stamp) {
            SHA256.hash(data: graph).elementsEqual(entry.dropFirst(entry.count - size).prefix(32))
        }
        return sound ? graph : nil
    }
}
