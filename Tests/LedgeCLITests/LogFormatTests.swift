import Foundation
import LedgeCLI
import LedgeTesting
import Logging
import Synchronization
import Testing

/// `ledge serve --log-format json`: one JSON object per line.
@Suite struct LogFormatTests {
    struct Line: Decodable {
        var label: String
        var level: String
        var message: String
        var metadata: [String: String]
        var timestamp: String
    }

    @Test func aJSONLineParsesAndCarriesTheRequestID() throws {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "ledge.serve") { label in
            JSONLogHandler(label: label, logLevel: .info) { line in lines.withLock { $0.append(line) } }
        }
        logger[metadataKey: "hb.request.id"] = "r-1"
        logger[metadataKey: "request_id"] = "r-1"
        logger.info("request", metadata: ["status": .stringConvertible(200), "path": "/v2/models/a\"b/infer"])
        logger.debug("not logged at info")
        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        let text = try #require(written.first)
        #expect(text.hasSuffix("}\n"))
        #expect(!text.dropLast().contains("\n"))
        let line = try JSONDecoder().decode(Line.self, from: Data(text.utf8))
        #expect(line.label == "ledge.serve")
        #expect(line.level == "info")
        #expect(line.message == "request")
        // Hummingbird's duplicate of the id is left out.
        #expect(line.metadata == ["request_id": "r-1", "status": "200", "path": "/v2/models/a\"b/infer"])
        _ = try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(line.timestamp)
        #expect(line.timestamp.count == "2025-01-31T12:34:56.789Z".count)
        #expect(line.timestamp.hasSuffix("Z"))
    }

    @Test func unknownLogFormatIsAUsageError() throws {
        let result = try ProcessRunner.ledge(["serve", "--model", Fixtures.model("add.onnx"), "--log-format", "xml"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("The value 'xml' is invalid for '--log-format <log-format>'. Please provide one of 'text' and 'json'.\n"))
    }
}
