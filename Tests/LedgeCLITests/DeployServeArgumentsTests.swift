import ArgumentParser
import Foundation
@testable import LedgeCLI
import LedgeCore
import LedgeDeploy
import LedgeTesting
import Logging
import Testing

/// `deploy apply --serve-arg`: more ledge serve arguments for devices whose fleet file gives none.
@Suite struct DeployServeArgumentsTests {
    func apply(_ arguments: [String]) throws -> DeployApplyCommand {
        try #require(try Ledge.parseAsRoot(["deploy", "apply", "-m", Fixtures.model("add.onnx")] + arguments) as? DeployApplyCommand)
    }

    @Test func theCommandLinesArgumentsGoWhereTheFleetFileGivesNone() async throws {
        try await withTemporaryDirectory { folder in
            let fleet = folder + "/fleet.yaml"
            try "devices:\n  own: {serve_args: [--log-format, json]}\n  plain: {}\n".write(toFile: fleet, atomically: true, encoding: .utf8)
            let command = try apply([
                "--fleet", fleet, "--device", "pi@127.0.0.9", "--serve-arg", "--trace-config", "--serve-arg", "mode=opentelemetry",
            ])
            let specs = try await command.deviceSpecs(logger: Logger(label: "test"))
            #expect(specs.map(\.name) == ["own", "plain", "pi@127.0.0.9"])
            #expect(
                specs.map(\.serveArguments) == [
                    ["--log-format", "json"], ["--trace-config", "mode=opentelemetry"], ["--trace-config", "mode=opentelemetry"],
                ])
        }
    }

    /// `--serve-env`: every device's, under the fleet file's variables of the same name.
    @Test func theCommandLinesVariablesGoUnderTheFleetFiles() async throws {
        try await withTemporaryDirectory { folder in
            let fleet = folder + "/fleet.yaml"
            try "devices:\n  own: {serve_env: {MALLOC_ARENA_MAX: 2, OTEL_SERVICE_NAME: own}}\n  plain: {}\n".write(
                toFile: fleet, atomically: true, encoding: .utf8)
            let command = try apply([
                "--fleet", fleet, "--device", "pi@127.0.0.9", "--serve-env", "MALLOC_ARENA_MAX=4", "--serve-env", "OTEL_EXPORTER_OTLP_HEADERS=k=v",
            ])
            let specs = try await command.deviceSpecs(logger: Logger(label: "test"))
            #expect(
                specs.map { $0.serveEnvironment.map { "\($0.name)=\($0.value)" } } == [
                    ["OTEL_EXPORTER_OTLP_HEADERS=k=v", "MALLOC_ARENA_MAX=2", "OTEL_SERVICE_NAME=own"],
                    ["MALLOC_ARENA_MAX=4", "OTEL_EXPORTER_OTLP_HEADERS=k=v"], ["MALLOC_ARENA_MAX=4", "OTEL_EXPORTER_OTLP_HEADERS=k=v"],
                ])
        }
        let error = try #require(throws: (any Error).self) { _ = try apply(["--device", "pi", "--serve-env", "NOTIFY_SOCKET=/x"]) }
        #expect(Ledge.message(for: error) == "--serve-env NOTIFY_SOCKET: set by systemd; expected another variable")
    }

    /// Model URIs, the command line's and the fleet file's, are fetched here (each once) and
    /// deployed as files: named as the fleet file names them, else by their file names.
    @Test func modelURIsAreFetchedHereAndSentAsFiles() async throws {
        try await withTemporaryDirectory { folder in
            try FileManager.default.createDirectory(atPath: folder + "/store", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Fixtures.model("add.onnx"), toPath: folder + "/store/add.onnx")
            let mobilenet = Fixtures.model("mobilenet_gen.onnx")
            try await FixtureHTTPServer.withServer(root: folder + "/store") { files in
                let uri = files.baseURL + "/files/add.onnx"
                let fleet = folder + "/fleet.yaml"
                try """
                devices:
                  named: {ssh: pi@127.0.0.9, models: {adder: "\(uri)"}}
                  listed: {ssh: pi@127.0.0.10, models: ["\(uri)", "file://\(mobilenet)"]}
                  plain: {ssh: pi@127.0.0.11}
                """.write(toFile: fleet, atomically: true, encoding: .utf8)
                let command = try #require(
                    try Ledge.parseAsRoot(["deploy", "apply", "--fleet", fleet, "--model-uri", uri, "--model-cache", folder + "/cache"])
                        as? DeployApplyCommand)
                let specs = try await command.deviceSpecs(logger: Logger(label: "test"))
                #expect(specs.map { $0.models.map(\.name) } == [["adder"], ["add", "mobilenet_gen"], ["add"]])
                let fetched = specs[0].models[0].model
                #expect(
                    fetched.hasPrefix(folder + "/cache/") && FileManager.default.contentsEqual(atPath: fetched, andPath: Fixtures.model("add.onnx")))
                #expect(specs[1].models.map(\.model) == [fetched, mobilenet])
                #expect(files.requests().filter { $0.hasPrefix("GET /files/add.onnx") }.count == 1)  // once for all three
            }
            let fleet = folder + "/bad.yaml"
            try "devices:\n  pi:\n    models: {adder: \"azure://models/add.onnx\"}\n".write(toFile: fleet, atomically: true, encoding: .utf8)
            let error = try #require(throws: LedgeError.self) { _ = try FleetFile(contentsOf: fleet) }
            #expect(
                error.message
                    == "\(fleet):3:21: devices.pi.models.adder: model URI 'azure://models/add.onnx': expected https://, http://, s3://BUCKET/KEY, gs://BUCKET/OBJECT, hf://OWNER/REPO/PATH or file:///ABSOLUTE/PATH, optionally with #sha256=<64 hex digits>"
            )
        }
    }

    @Test(arguments: [
        (["deploy", "apply", "--device", "pi", "-m", "m.onnx", "--canary=-1"], "--canary must be 0 or more, got -1"),
        (["deploy", "apply", "--device", "pi", "-m", "m.onnx", "--max-failures", "0"], "--max-failures must be 1 or more, got 0"),
        (["deploy", "apply", "--device", "pi", "-m", "m.onnx", "--upload-retries", "11"], "--upload-retries must be between 0 and 10, got 11"),
        (
            ["deploy", "apply", "--device", "pi", "--model-repository", "models", "--model-uri", "s3://b/m.onnx"],
            "give either --model-repository DIR or --model-uri URI, not both"
        ),
        (
            ["package", "-o", "out", "--model-repository", "models", "--model-uri", "s3://b/m.onnx"],
            "give either --model-repository DIR or --model-uri URI, not both"
        ),
    ])
    func outOfRangeAndConflictingOptionsAreRefused(arguments: [String], message: String) throws {
        let error = try #require(throws: (any Error).self) { _ = try Ledge.parseAsRoot(arguments) }
        #expect(Ledge.message(for: error) == message)
    }

    @Test func optionsDeploySetsItselfAreRefused() throws {
        let error = try #require(throws: (any Error).self) { _ = try apply(["--device", "pi", "--serve-arg", "--tls-cert=/x.pem"]) }
        #expect(
            Ledge.message(for: error)
                == "--serve-arg '--tls-cert=/x.pem': '--tls-cert' is set by deploy (its own options: -m, --port, --auth-token-file, --tls-cert…); expected other ledge serve options"
        )
    }
}
