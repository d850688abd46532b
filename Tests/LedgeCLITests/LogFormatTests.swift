import Foundation
import LedgeCore
@testable import LedgeCLI
import LedgeTesting
import Logging
import Synchronization
import Testing

/// `ledge serve --log-format json`: one JSON object per line.
@Suite(.ownThread) struct LogFormatTests {
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

    /// The lines are built by hand (no `JSONEncoder`, no merged dictionaries): exactly what the
    /// encoder with sorted keys wrote, nested metadata and escapes included; the text form sorted.
    @Test func linesAreExactlyTheFormats() throws {
        let handler: Logger.Metadata = ["hb.request.id": "r-2", "request_id": "r-2", "shared": "handler"]
        let event: Logger.Metadata = [
            "shared": "event", "status": .stringConvertible(404), "list": ["x", ["k": "v/w"]], "map": ["b": ["2"], "a": "1\t\"q\""],
        ]
        let entries = LogLine.entries(handler, event)
        #expect(entries.map(\.key) == ["list", "map", "request_id", "shared", "status"])
        let json = LogLine.json(label: "ledge.serve", level: .warning, message: "two\nlines", entries: entries, timestamp: "T")
        #expect(
            json
                == #"{"label":"ledge.serve","level":"warning","message":"two\nlines","metadata":{"list":["x",{"k":"v/w"}],"map":{"a":"1\t\"q\"","b":["2"]},"request_id":"r-2","shared":"event","status":"404"},"timestamp":"T"}"#
                + "\n")
        let text = LogLine.text(level: .info, message: "request", entries: LogLine.entries(handler, ["status": .stringConvertible(200)]))
        #expect(text == "info: request request_id=r-2 shared=handler status=200\n")
        // Without request_id, Hummingbird's key stays.
        #expect(LogLine.text(level: .error, message: "m", entries: LogLine.entries(["hb.request.id": "h"], nil)) == "error: m hb.request.id=h\n")
    }

    @Test func timestampsAreUTCWithMilliseconds() throws {
        #expect(iso8601UTC(seconds: 1_738_326_896, milliseconds: 789) == "2025-01-31T12:34:56.789Z")
        #expect(iso8601UTC(seconds: 0, milliseconds: 5) == "1970-01-01T00:00:00.005Z")
        let before = Date()
        let now = try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(iso8601UTCNow())
        #expect(now.timeIntervalSince(before) > -0.002 && Date().timeIntervalSince(now) >= 0)
    }

    @Test func unknownLogFormatIsAUsageError() throws {
        let result = try ProcessRunner.ledge(["serve", "--model", Fixtures.model("add.onnx"), "--log-format", "xml"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("The value 'xml' is invalid for '--log-format <log-format>'. Please provide one of 'text' and 'json'.\n"))
    }
}
