import ArgumentParser
import LedgeBench
@testable import LedgeCLI
import Logging
import Testing

/// Typed options: each value is parsed once, by ArgumentParser, into its type;
/// a bad one is a usage error of one line that names the flag and what was expected.
@Suite struct OptionParsingTests {
    func bench(_ arguments: [String]) throws -> BenchCommand {
        try #require(try Ledge.parseAsRoot(["bench", "-m", "m.onnx"] + arguments) as? BenchCommand)
    }

    @Test func benchListsKeepTheFirstOfEachValueInOrder() throws {
        let command = try bench(["--threads", "2,1,2", "--batch", "1, 8", "--provider", "cuda,CUDA,cpu", "--format", "MD"])
        #expect(command.threads?.values == [2, 1])
        #expect(command.batch.values == [1, 8])
        #expect(command.provider?.values.map(\.name) == ["cuda", "cpu"])
        #expect(command.format == .markdown)
    }

    @Test func benchDefaults() throws {
        let command = try bench([])
        #expect(command.threads == nil)
        #expect(command.provider == nil)
        #expect(command.batch.values == [1, 8, 32])
        #expect(command.format == .table)
    }

    @Test func serveQueueTimeout() throws {
        let command = try #require(try Ledge.parseAsRoot(["serve", "-m", "m.onnx", "--queue-timeout-us", "50000"]) as? ServeCommand)
        #expect(command.queueTimeoutMicroseconds == 50_000)
        #expect(try #require(try Ledge.parseAsRoot(["serve", "-m", "m.onnx"]) as? ServeCommand).queueTimeoutMicroseconds == 0)
    }

    @Test func serveLogOptions() throws {
        let command = try #require(
            try Ledge.parseAsRoot(["serve", "-m", "m.onnx", "--log-level", "debug", "--log-format", "json"]) as? ServeCommand)
        #expect(command.logLevel == .debug)
        #expect(command.logFormat == .json)
    }

    @Test(arguments: [
        (
            ["bench", "-m", "m.onnx", "--threads", "0,1"],
            "The value '0,1' is invalid for '--threads <list>': expected comma-separated integers from 1 to 256 (e.g. 1,2)"
        ),
        (
            ["bench", "-m", "m.onnx", "--batch", "1,,8"],
            "The value '1,,8' is invalid for '--batch <list>': expected comma-separated integers from 1 to 65536 (e.g. 1,2)"
        ),
        (
            ["bench", "-m", "m.onnx", "--provider", "cpu,"],
            "The value 'cpu,' is invalid for '--provider <list>': expected comma-separated names (e.g. cpu,cuda)"
        ),
        (
            ["bench", "-m", "m.onnx", "--format", "xml"],
            "The value 'xml' is invalid for '--format <format>'. Please provide one of 'table', 'json', 'csv' or 'markdown'."
        ),
        (
            ["serve", "-m", "m.onnx", "--queue-timeout-us", "4000000000"],
            "--queue-timeout-us must be from 0 to 3600000000 (1 h), got 4000000000"
        ),
        (
            ["serve", "-m", "m.onnx", "--log-format", "xml"],
            "The value 'xml' is invalid for '--log-format <log-format>'. Please provide one of 'text' and 'json'."
        ),
    ])
    func badValuesAreUsageErrorsNamingTheFlag(arguments: [String], message: String) {
        do {
            _ = try Ledge.parseAsRoot(arguments)
            Issue.record("\(arguments) parsed")
        } catch {
            #expect(Ledge.message(for: error) == message)
            #expect(Ledge.exitCode(for: error) == .validationFailure)
        }
    }

    @Test func badLogLevelListsTheLevels() {
        do {
            _ = try Ledge.parseAsRoot(["serve", "-m", "m.onnx", "--log-level", "loud"])
            Issue.record("--log-level loud parsed")
        } catch {
            let message = Ledge.message(for: error)
            #expect(message.hasPrefix("The value 'loud' is invalid for '--log-level <log-level>'. Please provide one of"))
            #expect(Logger.Level.allCases.allSatisfy { message.contains("- \($0.rawValue)") })
        }
    }
}
