import Foundation
import LedgeTesting
import Testing

/// The client-limit flags that HTTPFramingTests does not set itself: `--max-header-size` (a head
/// over the given size is a 431, one under it is served) and `--max-connections` (a connection past
/// the limit waits in the listen backlog, unanswered, until a served one closes). `--header-timeout`
/// and `--body-timeout` are HTTPFramingTests.slowClientsMeetDeadlines.
@Suite(.serialized, .ownThread) struct ClientLimitFlagTests {
    static func get(_ path: String, extra: String = "", close: Bool = false) -> String {
        "GET \(path) HTTP/1.1\r\nHost: ledge\r\n\(extra)\(close ? "Connection: close\r\n" : "")\r\n"
    }

    @Test func maxHeaderSizeSetsTheLargestHead() async throws {
        let server = try await ServeProcess.start(["-m", Fixtures.model("add.onnx"), "--no-probe", "--max-header-size", "2048"])
        let over = try RawConnection(port: server.port)
        over.send(Self.get("/v2", extra: "X-Big: " + String(repeating: "a", count: 3000) + "\r\n"))
        let refused = try #require(RawConnection.parse(over.receiveAll(timeout: .seconds(30)).bytes))
        #expect(refused.status == 431)
        #expect(refused.body == #"{"error":"request header fields too large"}"#)

        let under = try RawConnection(port: server.port)
        under.send(Self.get("/v2", extra: "X-Big: " + String(repeating: "a", count: 1500) + "\r\n", close: true))
        let served = try #require(RawConnection.parse(under.receiveAll(timeout: .seconds(30)).bytes))
        #expect(served.status == 200)
        try await server.terminate()
        #expect(server.exitedCleanly)
    }

    @Test func maxConnectionsHoldsFurtherConnectionsUntilOneCloses() async throws {
        let server = try ServeProcess.launch(["-m", Fixtures.model("add.onnx"), "--no-probe", "--max-connections", "2"])
        try await server.waitUntilReady(probeReady: false)  // URLSession would keep a connection
        // Two kept-alive connections, each answered: both accepted, the limit reached.
        var held: [RawConnection] = []
        for _ in 0..<2 {
            let connection = try RawConnection(port: server.port)
            connection.send(Self.get("/v2/health/live"))
            let reply = connection.receiveResponse(timeout: .seconds(30))
            #expect(reply.complete && RawConnection.parse(reply.bytes)?.status == 200)
            held.append(connection)
        }
        // A third connects (the kernel's backlog) but is not accepted: no answer while the two stay open.
        let third = try RawConnection(port: server.port)
        third.send(Self.get("/v2/health/live", close: true))
        let waiting = third.receiveAll(timeout: .seconds(2))
        #expect(waiting.bytes.isEmpty && !waiting.closed, "\(waiting)")
        // One closes: the third is accepted and answered.
        held.removeFirst()
        let answered = third.receiveAll(timeout: .seconds(30))
        #expect(RawConnection.parse(answered.bytes)?.status == 200, "\(answered)")
        held.removeAll()
        try await server.terminate()
        #expect(server.exitedCleanly)
    }

    /// One count for both ports: with two HTTP connections open, a gRPC client's connection waits
    /// (its HTTP/2 preface unanswered) until one of them closes; then the server's SETTINGS come.
    @Test func maxConnectionsCountsHTTPAndGRPCTogether() async throws {
        let server = try ServeProcess.launch(["-m", Fixtures.model("add.onnx"), "--no-probe", "--max-connections", "2"])
        try await server.waitUntilReady(probeReady: false)
        var held: [RawConnection] = []
        for _ in 0..<2 {
            let connection = try RawConnection(port: server.port)
            connection.send(Self.get("/v2/health/live"))
            #expect(RawConnection.parse(connection.receiveResponse(timeout: .seconds(30)).bytes)?.status == 200)
            held.append(connection)
        }
        let grpcPort = try #require(Int(server.grpcTarget.split(separator: ":").last ?? ""))
        var grpc = [try RawConnection(port: grpcPort)]  // closed by removeAll(), not earlier
        grpc[0].sendHTTP2Preface()
        #expect(grpc[0].receiveFirst(timeout: .seconds(2)).isEmpty, "a gRPC connection was served past --max-connections 2")
        held.removeFirst()
        #expect(RawConnection.isHTTP2Settings(grpc[0].receiveFirst(timeout: .seconds(30))))
        // Now the gRPC connection holds the room: a new HTTP connection waits for it.
        let third = try RawConnection(port: server.port)
        third.send(Self.get("/v2/health/live", close: true))
        #expect(third.receiveFirst(timeout: .seconds(2)).isEmpty, "an HTTP connection was served past --max-connections 2")
        grpc.removeAll()
        #expect(RawConnection.parse(third.receiveAll(timeout: .seconds(30)).bytes)?.status == 200)
        held.removeAll()
        try await server.terminate()
        #expect(server.exitedCleanly)
    }
}
