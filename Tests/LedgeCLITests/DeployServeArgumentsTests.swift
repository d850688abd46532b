import ArgumentParser
import Foundation
@testable import LedgeCLI
import LedgeDeploy
import LedgeTesting
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
            let specs = try command.deviceSpecs()
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
            let specs = try command.deviceSpecs()
            #expect(
                specs.map { $0.serveEnvironment.map { "\($0.name)=\($0.value)" } } == [
                    ["OTEL_EXPORTER_OTLP_HEADERS=k=v", "MALLOC_ARENA_MAX=2", "OTEL_SERVICE_NAME=own"],
                    ["MALLOC_ARENA_MAX=4", "OTEL_EXPORTER_OTLP_HEADERS=k=v"], ["MALLOC_ARENA_MAX=4", "OTEL_EXPORTER_OTLP_HEADERS=k=v"],
                ])
        }
        let error = try #require(throws: (any Error).self) { _ = try apply(["--device", "pi", "--serve-env", "NOTIFY_SOCKET=/x"]) }
        #expect(Ledge.message(for: error) == "--serve-env NOTIFY_SOCKET: set by systemd; expected another variable")
    }

    @Test func optionsDeploySetsItselfAreRefused() throws {
        let error = try #require(throws: (any Error).self) { _ = try apply(["--device", "pi", "--serve-arg", "--tls-cert=/x.pem"]) }
        #expect(
            Ledge.message(for: error)
                == "--serve-arg '--tls-cert=/x.pem': '--tls-cert' is set by deploy (its own options: -m, --port, --auth-token-file, --tls-cert…); expected other ledge serve options"
        )
    }
}
