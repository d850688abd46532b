import Foundation
import LedgeTesting
import Testing

/// `ledge serve` whose standard error nobody reads (a paused pipe, a blocked logging driver): its
/// access lines used to fill the pipe after ~450 requests, and then every request waited in
/// `write(2)`, health checks included. Now 2,000 requests are answered meanwhile, and every access
/// line arrives once the reader reads; SIGTERM still ends the server cleanly.
@Suite struct StalledLogLiveTests {
    @Test func aLogNobodyReadsDoesNotStopTheServer() async throws {
        let log = Pipe()
        let server = try await ServeProcess.start(["-m", Fixtures.model("add.onnx"), "--no-probe", "--no-grpc"], stderr: log)
        let connection = try RawConnection(port: server.port)
        var answered = 0
        for _ in 0..<2000 {
            guard connection.send("GET /v2/health/live HTTP/1.1\r\nHost: ledge\r\n\r\n") else { break }
            let response = connection.receiveResponse(timeout: .seconds(30))
            guard response.complete, RawConnection.parse(response.bytes)?.status == 200 else { break }
            answered += 1
        }
        #expect(answered == 2000, "the server stopped answering after \(answered) requests")
        let reading = Task.detached { log.fileHandleForReading.readDataToEndOfFile() }
        try await server.terminate()
        #expect(server.exitedCleanly)
        let text = String(decoding: await reading.value, as: UTF8.self)
        let access = text.split(separator: "\n").filter { $0.hasPrefix("info: request ") && $0.contains(" path=/v2/health/live ") }
        #expect(access.count == 2000, "\(access.count) access lines")
        #expect(!text.contains(" log lines dropped"))
    }
}
