import Foundation
import LedgeCore
import Logging
import Synchronization

/// Collects log messages so tests can assert on warnings.
final class CapturedLog: Sendable {
    private let entries = Mutex<[(level: Logger.Level, message: String)]>([])

    var messages: [(level: Logger.Level, message: String)] { entries.withLock { $0 } }

    var logger: Logger {
        Logger(label: "test") { _ in CapturingHandler(log: self) }
    }

    func append(_ level: Logger.Level, _ message: String) {
        entries.withLock { $0.append((level, message)) }
    }
}

struct CapturingHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        log.append(event.level, event.message.description)
    }
}

/// The largest absolute difference between two tensors' values.
func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.floatValues(), b.floatValues()).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Removes the folder ``temporaryFile(named:bytes:)`` made for `path`.
func removeTemporaryFile(_ path: String) {
    try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
}

/// A file in a fresh temporary folder holding `bytes` (remove it with ``removeTemporaryFile(_:)``).
func temporaryFile(named name: String, bytes: Data) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-onnx-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try bytes.write(to: url)
    return url.path
}

/// Catches the LedgeError `body` throws.
func ledgeError(_ body: () throws -> Void) -> LedgeError? {
    do {
        try body()
        return nil
    } catch let error as LedgeError {
        return error
    } catch {
        return nil
    }
}
