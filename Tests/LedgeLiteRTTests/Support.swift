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

/// A small seeded generator (SplitMix64) so mutations are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
