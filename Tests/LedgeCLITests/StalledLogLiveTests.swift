import Foundation
import LedgeTesting
import Testing

/// `ledge serve` whose standard error nobody reads (a paused pipe, a blocked logging driver): its
/// access lines used to fill the pipe after ~450 requests, and then every request waited in
/// `write(2)`, health checks included. Now 1,000 requests are answered meanwhile, and every
/// access line arrives once the reader reads; SIGTERM still ends the server cleanly.
@Suite(.ownThread) struct StalledLogLiveTests {
    @Test func aLogNobodyReadsDoesNotStopTheServer() async throws {
        let log = Pipe()
        let server = try await ServeProcess.start(["-m", Fixtures.model("add.onnx"), "--no-probe", "--no-grpc"], stderr: log)
        let connection = try RawConnection(port: server.port)
        var answered = 0
        for _ in 0..<1000 {
            guard connection.send("GET /v2/health/live HTTP/1.1\r\nHost: ledge\r\n\r\n") else { break }
            let response = connection.receiveResponse(timeout: .seconds(30))
            guard response.complete, RawConnection.parse(response.bytes)?.status == 200 else { break }
            answered += 1
        }
        #expect(answered == 1000, "the server stopped answering after \(answered) requests")
        // The reader comes back (on a thread of its own: Swift's pool may be busy with other tests).
        let reader = LogReader(log.fileHandleForReading)
        let isAccess: (Substring) -> Bool = { $0.hasPrefix("info: request ") && $0.contains(" path=/v2/health/live ") }
        for _ in 0..<600 where reader.lines < 1000 { try await Task.sleep(for: .milliseconds(100)) }
        try await server.terminate()
        #expect(server.exitedCleanly)
        for _ in 0..<300 where !reader.atEnd { try await Task.sleep(for: .milliseconds(100)) }
        let text = reader.text
        let access = text.split(separator: "\n").filter(isAccess)
        #expect(access.count == 1000, "\(access.count) access lines")
        #expect(!text.contains(" log lines dropped"))
    }
}

/// Reads a pipe to its end on a thread of its own; ``text`` is what came so far, ``lines`` how many lines.
private final class LogReader: @unchecked Sendable {
    private let lock = NSLock()
    private var data: [UInt8] = []
    private var newlines = 0
    private var ended = false

    init(_ handle: FileHandle) {
        let descriptor = handle.fileDescriptor
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(descriptor, &buffer, buffer.count)
                if count <= 0 { return lock.withLock { ended = true } }
                let chunk = buffer[..<count]
                lock.withLock {
                    data += chunk
                    newlines += chunk.count { $0 == UInt8(ascii: "\n") }
                }
            }
        }
    }

    var lines: Int { lock.withLock { newlines } }
    /// The pipe reached its end (every writer closed it).
    var atEnd: Bool { lock.withLock { ended } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
