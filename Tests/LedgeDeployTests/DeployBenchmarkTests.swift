import Foundation
import LedgeTesting
import Testing

/// `make bench-deploy` (Benchmarks/deploy.sh): what a deploy to the three test devices costs —
/// the first apply, an apply with nothing changed, a model-only change (bytes sent per device),
/// and the time from starting the new server to the new model answering. Prints numbers,
/// asserts none of them (skipped unless LEDGE_BENCH_DEPLOY=1; uses the ledge under test, or
/// LEDGE_EXECUTABLE).
@Suite(.serialized, .ownThread, .enabled(if: ProcessInfo.processInfo.environment["LEDGE_BENCH_DEPLOY"] == "1"))
struct DeployBenchmarkTests {
    let port = Int.random(in: 10_000...14_900) * 2

    @Test func deployToThreeDevices() async throws {
        try await SSHFleet.withFleet { fleet in
            func apply(_ model: String) throws -> (seconds: Double, rows: [[String: Any]]) {
                var arguments = [
                    "deploy", "apply", "--ssh-config", fleet.configPath, "--listen", "ssh", "--port", String(port), "--check-port",
                    String(port + 1), "-m", Fixtures.model(model), "--name", "classifier", "--json",
                ]
                for device in fleet.devices { arguments += ["--device", device.alias] }
                let started = Date()
                let result = try ProcessRunner.ledge(arguments, environment: ["XDG_CACHE_HOME": fleet.directory + "/cache"], timeLimit: 600)
                let seconds = Date().timeIntervalSince(started)
                #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
                let rows = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]) ?? []
                return (seconds, rows)
            }
            defer {
                var arguments = ["deploy", "remove", "--ssh-config", fleet.configPath]
                for device in fleet.devices { arguments += ["--device", device.alias] }
                _ = try? ProcessRunner.ledge(arguments, timeLimit: 120)
            }
            let first = try apply("mobilenet_gen.onnx")
            let unchanged = try apply("mobilenet_gen.onnx")
            let modelOnly = try apply("ch_ppocr_mobile_v2.0_cls_infer.onnx")
            let back = try apply("mobilenet_gen.onnx")
            func sent(_ rows: [[String: Any]]) -> String {
                rows.map { "\($0["uploadedObjects"] as? Int ?? 0) objects / \($0["uploadedBytes"] as? Int ?? 0) B" }.joined(separator: ", ")
            }
            func switches(_ rows: [[String: Any]]) -> String {
                rows.compactMap { $0["switchSeconds"] as? Double }.map { String(format: "%.2f s", $0) }.joined(separator: ", ")
            }
            let modelSize =
                (try? FileManager.default.attributesOfItem(atPath: Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx"))[.size] as? Int) ?? 0
            print(
                """
                deploy to 3 devices (127.0.0.2-4, parallel)
                  first apply (mobilenet_gen.onnx):  \(String(format: "%.2f s", first.seconds)); sent \(sent(first.rows)); switch \(switches(first.rows))
                  again, nothing changed:             \(String(format: "%.2f s", unchanged.seconds)); sent \(sent(unchanged.rows))
                  model only (ch_ppocr cls, \(modelSize) B): \(String(format: "%.2f s", modelOnly.seconds)); sent \(sent(modelOnly.rows)); switch \(switches(modelOnly.rows))
                  back to mobilenet_gen (on the device already): \(String(format: "%.2f s", back.seconds)); sent \(sent(back.rows)); switch \(switches(back.rows))
                """)
        }
    }
}
