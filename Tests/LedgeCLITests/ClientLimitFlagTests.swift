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

    /// The limit is exact across the ports, also when both listeners have a connection waiting as room
    /// comes: one HTTP and one gRPC connection held under `--max-connections 2`, one of each waiting;
    /// when the HTTP one closes, exactly one of the two waiting is served (a listener accepts several
    /// connections per read; the one past the budget waits, accepted, until the next close).
    @Test func maxConnectionsIsExactWhenBothPortsHaveConnectionsWaiting() async throws {
        let server = try ServeProcess.launch(["-m", Fixtures.model("add.onnx"), "--no-probe", "--max-connections", "2"])
        try await server.waitUntilReady(probeReady: false)
        let grpcPort = try #require(Int(server.grpcTarget.split(separator: ":").last ?? ""))
        var held = [try RawConnection(port: server.port), try RawConnection(port: grpcPort)]
        held[0].send(Self.get("/v2/health/live"))
        #expect(RawConnection.parse(held[0].receiveResponse(timeout: .seconds(30)).bytes)?.status == 200)
        held[1].sendHTTP2Preface()
        #expect(RawConnection.isHTTP2Settings(held[1].receiveFirst(timeout: .seconds(30))))
        let waiting = [try RawConnection(port: grpcPort), try RawConnection(port: server.port)]
        waiting[0].sendHTTP2Preface()
        waiting[1].send(Self.get("/v2/health/live"))  // kept alive once answered: it keeps its place
        #expect(waiting.allSatisfy { $0.receiveFirst(timeout: .seconds(1)).isEmpty }, "served past --max-connections 2")
        held.removeFirst()  // the HTTP one closes: one place
        var served: Int?
        for _ in 0..<300 where served == nil {
            served = waiting.indices.first { !waiting[$0].receiveFirst(timeout: .milliseconds(50)).isEmpty }
        }
        let first = try #require(served, "neither waiting connection was served after a place came free")
        #expect(waiting[1 - first].receiveFirst(timeout: .seconds(2)).isEmpty, "both waiting connections were served: 3 open, limit 2")
        held.removeAll()  // the gRPC one closes: the other is served
        #expect(!waiting[1 - first].receiveFirst(timeout: .seconds(30)).isEmpty)
        try await server.terminate()
        #expect(server.exitedCleanly)
    }

    /// An open-file limit that leaves fewer than 16 connections after the 132 descriptors kept for
    /// files: the server refuses to start, before loading a model, instead of running out later.
    @Test func anOpenFileLimitTooLowToServeIsRefused() async throws {
        let server = try ServeProcess.launch(["-m", Fixtures.model("add.onnx"), "--no-probe"], descriptorLimit: 100)
        try await server.waitForExit()
        #expect(server.process.terminationReason == .exit && server.process.terminationStatus != 0)
        #expect(
            server.stderr.split(separator: "\n").last.map(String.init)
                == "error: the open-file limit is 100 descriptors (ulimit -n): ledge serve needs at least 148, 132 for model files, "
                + "threads and logs and 16 for connections")
    }
}
