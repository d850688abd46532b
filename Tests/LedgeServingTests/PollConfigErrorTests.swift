import Foundation
import LedgeCore
@testable import LedgeServing
import LedgeTesting
import Logging
import Testing

/// Poll mode and a config.pbtxt that does not parse: each new text is tried again and its own error
/// reported (once), the model's one index entry per version says why, and putting back the config
/// that served clears it. Before, a second bad text was never read (the folder could not be), and
/// the first error stayed in a second, versionless index entry even after the good config returned.
@Suite struct PollConfigErrorTests {
    @Test func eachChangedConfigIsTriedAgain() async throws {
        try await withTemporaryDirectory { directory in
            let config = directory + "/add/config.pbtxt"
            try Fixtures.makeModel(directory, versions: [1], config: "max_batch_size: 4\n")
            let capture = LogCapture()
            let repository = try ModelRepository.load(
                .repository(path: directory), options: RepositoryOptions(controlMode: .poll), logger: capture.logger(level: .error))
            func errors() -> [String] { capture.messages.filter { $0.hasPrefix("model 'add' not loaded: ") } }
            let keeps = "reload failed, the loaded file keeps serving: "

            try "optimization { graph { level: 9 } }\n".write(toFile: config, atomically: true, encoding: .utf8)
            await repository.poll()
            let level =
                "\(config):1:24: optimization.graph.level is 9: expected one of ONNX Runtime's graph optimization levels: -1 (basic), 0 (all, the default), 1 (extended) or 2 (none)"
            #expect(repository.index() == [ModelRepository.IndexEntry(name: "add", version: "1", state: "READY", reason: keeps + level)])
            await repository.poll()  // unchanged: not tried, nor reported, again
            #expect(errors() == ["model 'add' not loaded: " + level])

            try "parameters { key: \"execution_mode\" value: { string_value: \"5\" } }\n".write(toFile: config, atomically: true, encoding: .utf8)
            await repository.poll()
            let mode = "\(config):1:45: parameters 'execution_mode': \"5\" is not an execution mode: expected 0 (sequential) or 1 (parallel)"
            #expect(repository.index() == [ModelRepository.IndexEntry(name: "add", version: "1", state: "READY", reason: keeps + mode)])
            #expect(errors().count == 2 && errors().last == "model 'add' not loaded: " + mode)

            try "max_batch_size: 4\n".write(toFile: config, atomically: true, encoding: .utf8)
            await repository.poll()
            #expect(repository.index() == [ModelRepository.IndexEntry(name: "add", version: "1", state: "READY")])
            #expect(try await RepositoryVersionTests.sum(repository, try repository.model(named: "add")) == [2, 3, 4, 5])
        }
    }
}
