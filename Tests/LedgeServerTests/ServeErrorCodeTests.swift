import Foundation
import HTTPTypes
import LedgeCore
import LedgeServer
@testable import LedgeServing
import LedgeTesting
import Testing

/// The error paths of `serve`'s repository have their codes, and the server
/// maps each code to its HTTP status in one place.
@Suite(.ownThread) struct ServeErrorCodeTests {

    @Test func repositoryErrors() throws {
        let add = Fixtures.model("add.onnx")
        let load = { (source: ModelSource) in _ = try ModelRepository.load(source, options: RepositoryOptions(), logger: TestServer.logger) }
        #expect(ledgeErrorCode { try load(.repository(path: "/nonexistent")) } == .usage)
        #expect(ledgeErrorCode { try load(.repository(path: FileManager.default.temporaryDirectory.path + "/ledge-empty-\(UUID())")) } == .usage)
        #expect(ledgeErrorCode { try load(.files([ModelFileSource(path: add), ModelFileSource(path: add)])) } == .usage)
        #expect(ledgeErrorCode { try load(.files([ModelFileSource(path: add, name: "../x")])) } == .usage)
        #expect(ledgeErrorCode { try load(.files([ModelFileSource(path: "/nonexistent.onnx")])) } == .invalidModel)
        let repository = try ModelRepository.load(
            .files([ModelFileSource(path: add)]), options: RepositoryOptions(),
            logger: TestServer.logger)
        #expect(ledgeErrorCode { _ = try repository.model(named: "nope") } == .notFound)
        #expect(ledgeErrorCode { _ = try repository.model(named: "..") } == .invalidInput)
    }

    @Test(arguments: [
        (LedgeError.Code.usage, 400), (.invalidInput, 400), (.invalidModel, 400), (.notFound, 404), (.busy, 503),
        (.tooLarge, 413), (.timedOut, 408), (.runtimeUnavailable, 500), (.runtimeFailure, 500),
    ])
    func statusForCode(_ code: LedgeError.Code, _ status: Int) {
        #expect(ServerError(LedgeError(code, "m")).status.code == status)
        #expect(ServerError.from(LedgeError(code, "m")) == ServerError(HTTPResponse.Status(code: status), "m"))
    }
}
