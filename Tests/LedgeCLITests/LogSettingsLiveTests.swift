import Foundation
import LedgeTesting
import Testing

/// `POST /v2/logging` on the real `ledge serve` reaches every log handler at once: with
/// `log_info` off the access lines stop, the change itself is logged, and they come back on.
@Suite(.ownThread) struct LogSettingsLiveTests {
    static func post(_ port: Int, _ body: String) throws -> Int? {
        let connection = try RawConnection(port: port)
        connection.send(
            "POST /v2/logging HTTP/1.1\r\nHost: ledge\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        )
        return RawConnection.parse(connection.receiveAll(timeout: .seconds(30)).bytes)?.status
    }

    @Test func accessLinesStopAndComeBack() async throws {
        let server = try await ServeProcess.start(["-m", Fixtures.model("add.onnx"), "--no-probe"])
        #expect(try NetworkSafetyTests.status(server.port, "/v2/models/add") == 200)
        #expect(try Self.post(server.port, #"{"log_info": false}"#) == 200)
        #expect(try NetworkSafetyTests.status(server.port, "/v2/models/add/ready") == 200)
        #expect(try Self.post(server.port, #"{"log_info": true}"#) == 200)
        #expect(try NetworkSafetyTests.status(server.port, "/v2") == 200)
        try await server.terminate()
        #expect(server.exitedCleanly, "\(server.stderr)")
        let lines = server.stderr.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("info: request ") && $0.contains(" path=/v2/models/add ") }, "\(server.stderr)")
        #expect(!lines.contains { $0.contains(" path=/v2/models/add/ready ") }, "\(server.stderr)")
        #expect(lines.contains { $0.hasPrefix("info: request ") && $0.contains(" path=/v2 ") }, "\(server.stderr)")
        #expect(lines.contains { $0.hasPrefix("warning: log level set to warning (POST /v2/logging)") }, "\(server.stderr)")
        #expect(lines.contains { $0.hasPrefix("notice: log level set to info (POST /v2/logging)") }, "\(server.stderr)")
    }
}
