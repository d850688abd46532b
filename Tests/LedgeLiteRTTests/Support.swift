import Foundation
import LedgeCore
import LedgeLiteRT
import LedgeTesting
import Logging

/// Shared fixtures for the LiteRT tests.
enum Support {
    static let modelPath = Fixtures.model("efficientnet_lite0.tflite")

    static func runtime() throws -> LiteRTRuntime {
        try LiteRTRuntime.shared(libraryPath: Fixtures.runtimeLibrary(.litert))
    }

    static func session(threads: Int? = 1) throws -> LiteRTSession {
        try LiteRTSession(file: ModelFile(path: modelPath), options: SessionOptions(threads: threads), runtime: runtime())
    }

    /// The message of the `LedgeError` that `body` throws, or nil.
    static func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as LedgeError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }
}
