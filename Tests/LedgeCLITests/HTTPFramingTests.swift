import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgeTesting
import Testing

/// Classes 3 and 4 of "serve never dies", against the real `ledge serve` over
/// raw sockets: every request the HTTP parser rejects gets a 4xx with a JSON
/// body (never 500, never an empty body), slow clients meet deadlines, and
/// running out of descriptors neither spins nor stops the server for good.
/// After each, the server answers a valid inference correctly.
@Suite(.serialized, .ownThread) struct HTTPFramingTests {
    static let goodBody =
        #"{"inputs":[{"name":"a","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]},{"name":"b","datatype":"FP32","shape":[1,4],"data":[1,1,1,1]}]}"#

    struct Framing: CustomTestStringConvertible, Sendable {
        var name: String
        var request: String
        /// Half-close after sending (the client gives up mid-request).
        var finish = false
        var status: Int
        var error: String
        var testDescription: String { name }
    }

    static let infer = "POST /v2/models/add/infer HTTP/1.1\r\nHost: ledge\r\n"

    static let framing: [Framing] = [
        Framing(
            name: "bad chunk size", request: infer + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
            status: 400, error: "invalid chunk size in chunked request body"),
        Framing(
            name: "Transfer-Encoding identity", request: infer + "Transfer-Encoding: identity\r\n\r\n",
            status: 501, error: "unsupported Transfer-Encoding 'identity': only chunked is implemented"),
        Framing(
            name: "body shorter than Content-Length", request: infer + "Content-Length: 100\r\n\r\n{\"inputs\"", finish: true,
            status: 400, error: "connection closed before the request was complete"),
        Framing(
            name: "gzip before chunked", request: infer + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            status: 501, error: "unsupported Transfer-Encoding 'gzip, chunked': only chunked is implemented"),
        Framing(
            name: "Content-Length not a number", request: infer + "Content-Length: ten\r\n\r\n",
            status: 400, error: "invalid Content-Length header"),
        Framing(
            name: "space in a header name", request: "GET /v2 HTTP/1.1\r\nHo st: ledge\r\n\r\n",
            status: 400, error: "invalid character in request header"),
        Framing(
            name: "binary garbage", request: "\u{1}\u{2} hello\r\n\r\n",
            status: 400, error: "invalid or unknown request method"),
        Framing(
            name: "header over --max-header-size",
            request: "GET /v2 HTTP/1.1\r\nHost: ledge\r\nX-Big: " + String(repeating: "a", count: 40_000) + "\r\n\r\n",
            status: 431, error: "request header fields too large"),
        Framing(
            name: "wrong method on a route", request: "DELETE /v2/health/live HTTP/1.1\r\nHost: ledge\r\n\r\n",
            status: 405, error: "method DELETE not allowed on /v2/health/live: expected GET, HEAD"),
    ]

    /// A valid inference over a fresh connection answers a + b.
    static func expectServing(_ port: Int) throws {
        let connection = try RawConnection(port: port)
        connection.send(infer + "Content-Length: \(goodBody.utf8.count)\r\nConnection: close\r\n\r\n" + goodBody)
        let response = try #require(RawConnection.parse(connection.receiveAll(timeout: .seconds(30)).bytes))
        #expect(response.status == 200)
        #expect(response.body.contains(#""data":[2,3,4,5]"#), "\(response.body)")
    }

    /// `Expect: 100-continue` (what curl sends before a body of 1 MB or more, then waits a second
    /// for): `100 Continue` before the body, then the answer; a body over `--max-body-size` gets its
    /// 413 without the client sending it.
    @Test func expectContinueIsAnswered() async throws {
        let server = try await ServeProcess.start(["-m", Fixtures.model("add.onnx"), "--no-probe", "--max-body-size", "1000"])
        let connection = try RawConnection(port: server.port)
        connection.send(Self.infer + "Content-Length: \(Self.goodBody.utf8.count)\r\nExpect: 100-continue\r\n\r\n")
        let interim = connection.receiveResponse(timeout: .seconds(10))
        #expect(String(decoding: interim.bytes, as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\n")
        connection.send(Self.goodBody)
        let answer = try #require(RawConnection.parse(connection.receiveResponse(timeout: .seconds(10)).bytes))
        #expect(answer.status == 200 && answer.body.contains(#""data":[2,3,4,5]"#), "\(answer.body)")

        let large = try RawConnection(port: server.port)
        large.send(Self.infer + "Content-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
        let refused = try #require(RawConnection.parse(large.receiveResponse(timeout: .seconds(10)).bytes))
        #expect(refused.status == 413 && refused.body == #"{"error":"request body exceeds the limit of 1000 bytes (--max-body-size)"}"#)
        try await server.terminate()
        #expect(server.exitedCleanly)
    }

    @Test func malformedFramingGetsJSON4xx() async throws {
        let server = try await ServeProcess.start(["-m", Fixtures.model("add.onnx"), "--no-probe"])
        for case let framing in Self.framing {
            let connection = try RawConnection(port: server.port)
            connection.send(framing.request)
            if framing.finish { connection.finishSending() }
            let received = connection.receiveAll(timeout: .seconds(10))
            let response = try #require(RawConnection.parse(received.bytes), "\(framing.name): no response")
            #expect(response.status == framing.status, "\(framing.name)")
            #expect(response.headers["content-type"] == "application/json", "\(framing.name)")
            #expect(response.body == #"{"error":"\#(framing.error)"}"#, "\(framing.name)")
            try Self.expectServing(server.port)
        }
        #expect(!server.stderr.contains("error:"), "\(server.stderr)")
        try await server.terminate()
        #expect(server.exitedCleanly)
    }

    @Test func slowClientsMeetDeadlines() async throws {
        let server = try await ServeProcess.start([
            "-m", Fixtures.model("add.onnx"), "--no-probe", "--header-timeout", "2", "--idle-timeout", "2",
            "--body-timeout", "2", "--min-body-rate", "1000",
        ])
        // Slowloris: one header byte per second is closed with 408 within the head timeout.
        let slowloris = try RawConnection(port: server.port)
        let start = ContinuousClock.now
        var headReply: (bytes: [UInt8], closed: Bool) = ([], false)
        for byte in Array("GET /v2 HTTP/1.1\r\nHost: ledge\r\n\r\n".utf8) {
            slowloris.send([byte])
            let reply = slowloris.receiveAll(timeout: .seconds(1))  // one byte a second
            headReply = (headReply.bytes + reply.bytes, reply.closed)
            if headReply.closed || ContinuousClock.now - start > .seconds(10) { break }
        }
        let closedAfter = ContinuousClock.now - start
        #expect(headReply.closed)
        #expect(closedAfter < .seconds(4), "closed after \(closedAfter), head timeout 2 s")
        #expect(RawConnection.parse(headReply.bytes)?.status == 408)
        #expect(RawConnection.parse(headReply.bytes)?.body == #"{"error":"request header not received within 2 s"}"#)

        // A body trickling below --min-body-rate is cut off with 408.
        let trickle = try RawConnection(port: server.port)
        trickle.send(Self.infer + "Content-Length: 1000\r\n\r\n{")
        let bodyReply = trickle.receiveAll(timeout: .seconds(10))
        let body = try #require(RawConnection.parse(bodyReply.bytes))
        #expect(body.status == 408)
        #expect(body.body.hasPrefix(#"{"error":"request body too slow: 1 bytes in "#))
        #expect(bodyReply.closed)

        // An idle keep-alive connection is closed, silently.
        let idle = try RawConnection(port: server.port)
        let idleReply = idle.receiveAll(timeout: .seconds(6))
        #expect(idleReply.closed && idleReply.bytes.isEmpty)

        try Self.expectServing(server.port)
        try await server.terminate()
        #expect(server.exitedCleanly)
    }

    /// A client that resets its connection while its body is read (killed mid-upload, a broken
    /// link) is the client's doing, not the server's: no error line, and the server serves on.
    @Test func aClientResetMidBodyIsNotAnError() async throws {
        let server = try await ServeProcess.start(["-m", Fixtures.model("add.onnx"), "--no-probe", "--no-grpc"])
        for _ in 0..<3 {
            let connection = try RawConnection(port: server.port)
            connection.send(Self.infer + "Content-Length: 100000\r\n\r\n" + String(repeating: " ", count: 10_000))
            try await Task.sleep(for: .milliseconds(300))  // the server is reading the body
            connection.reset()
        }
        try await Task.sleep(for: .milliseconds(300))
        try Self.expectServing(server.port)
        try await server.terminate()
        #expect(server.exitedCleanly)
        let errors = server.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(errors.isEmpty, "\(errors)")
    }

    /// CPU seconds (user + system) the process has used, from /proc; fails with the server's log when it is gone.
    static func cpuSeconds(_ server: ServeProcess) throws -> Double {
        let stat = try #require(
            try? String(contentsOfFile: "/proc/\(server.pid)/stat", encoding: .utf8), "the server is gone; its log: \(server.stderr)")
        let fields = stat[stat.index(after: try #require(stat.lastIndex(of: ")")))...].split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (Double(fields[11]) ?? 0) / ticks + (Double(fields[12]) ?? 0) / ticks  // utime, stime
    }

    /// Under `ulimit -n 256`, 150 connections to each port (300, where 124 fit the budget: 256 less
    /// 132 kept for files) neither run the server out of descriptors nor make it spin: accepting
    /// stops at the budget, over HTTP and gRPC together. Out of descriptors, libdispatch ends the
    /// process (it opens /proc/PID/stat for its worker threads once a second; that failed with
    /// EMFILE, SIGILL), so the server must stay clear of the limit even when --max-connections asks
    /// for more: then it says what it serves instead.
    @Test(arguments: [nil, "1000"] as [String?])
    func runningOutOfDescriptorsNeitherSpinsNorStops(maxConnections: String?) async throws {
        let server = try await ServeProcess.start(
            ["-m", Fixtures.model("add.onnx"), "--no-probe"] + (maxConnections.map { ["--max-connections", $0] } ?? []),
            descriptorLimit: 256)
        let grpcPort = try #require(Int(server.grpcTarget.split(separator: ":").last ?? ""))
        var held: [RawConnection] = []
        for _ in 0..<150 { held += [try RawConnection(port: server.port), try RawConnection(port: grpcPort)] }
        try await Task.sleep(for: .seconds(1))
        let before = try Self.cpuSeconds(server)
        try await Task.sleep(for: .seconds(5))
        let used = try Self.cpuSeconds(server) - before
        #expect(used < 0.5, "the server used \(used) s of CPU in 5 s at its connection limit")
        // Its own descriptors (~40) and 124 connections, and a few more accepted in the batch that reached the limit.
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.pid)/fd").count) ?? 0
        #expect(descriptors > 124 && descriptors <= 200, "the server holds \(descriptors) descriptors under a limit of 256")
        held.removeAll()
        try await Task.sleep(for: .milliseconds(500))
        try Self.expectServing(server.port)
        let grpc = try RawConnection(port: grpcPort)
        grpc.sendHTTP2Preface()
        #expect(RawConnection.isHTTP2Settings(grpc.receiveFirst(timeout: .seconds(30))), "the gRPC port does not answer")
        try await server.terminate()
        #expect(server.exitedCleanly)
        let lines = server.stderr.split(separator: "\n")
        #expect(!lines.contains { $0.contains("cannot accept connections") }, "\(lines)")
        let lowered = lines.filter { $0.contains("--max-connections") }
        if maxConnections == nil {
            #expect(lowered.isEmpty)
        } else {
            #expect(
                lowered == [
                    "warning: --max-connections 1000 is more than the open-file limit allows (256 descriptors, 132 of them kept for "
                        + "model files, threads and logs): at most 124 connections at once; raise the limit (ulimit -n) to serve more"
                ])
        }
    }
}
