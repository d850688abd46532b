import Foundation
import HummingbirdTesting
import LedgeTesting
@testable import LedgeServing
import Testing

/// Seldon Core's own Python client (`seldon_core.seldon_client.SeldonClient`, pinned in
/// scripts/requirements-seldon.txt, its own venv) against two live servers:
/// scripts/check_seldon.py. The microservice calls go to a server of mobilenet_gen.onnx
/// alone, the gateway calls to one of the three fixture models.
@Suite(.ownThread) struct SeldonClientTests {
    @Test func seldonClientChecksPassAgainstLiveServers() async throws {
        let python = Fixtures.home + "/venv-seldon/bin/python"
        try #require(FileManager.default.isExecutableFile(atPath: python), "no \(python): run scripts/setup.sh")
        let result = try await TestServer.withApp(.live) { gateway in
            try await TestServer.withModel("mobilenet_gen.onnx", name: "gen", .live) { microservice in
                let arguments = [
                    Fixtures.packageRoot + "/scripts/check_seldon.py",
                    "--microservice", "127.0.0.1:\(try #require(microservice.port))",
                    "--gateway", "127.0.0.1:\(try #require(gateway.port))",
                    "--fixtures", Fixtures.home + "/fixtures",
                ]
                return try await ProcessRunner.runOffExecutor(python, arguments, timeLimit: 600)
            }
        }
        #expect(!result.timedOut)
        #expect(result.status == 0, "check_seldon.py failed: \(result.stderr)")
        #expect(result.stderr == "")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        for line in [
            "ok: health: /health/ping pong, /health/status healthy",
            "ok: gateway predict(add, json_data a and b): sum [2, 4] exactly a + b",
            "all seldon checks passed",
        ] {
            #expect(lines.contains(line), "missing line: \(line)\n\(result.stdout)")
        }
        for prefix in [
            "ok: microservice predict (ndarray, batch 1): ndarray [1, 1000] within ",
            "ok: microservice predict (tensor, batch 4): tensor [4, 1000] within ",
            "ok: microservice wrong shape: 400 MICROSERVICE_BAD_DATA: field 'data.ndarray': shape [1, 3, 2, 2] does not match input 'input'",
            "ok: gateway predict(efficientnet, bin_data chelsea.jpg): top 'Egyptian cat' ",
            "ok: gateway predict(gen, tensor): within ",
            "ok: gateway=seldon predict (bare /api/v1.0/predictions, 3 models): 400:Bad Request: 3 models are served (add, efficientnet, gen)",
        ] {
            #expect(lines.contains { $0.hasPrefix(prefix) }, "missing line: \(prefix)…\n\(result.stdout)")
        }
    }
}
