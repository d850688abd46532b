import Foundation
import LedgeTesting
import Testing

/// The gRPC server's transport settings (Triton's `--grpc-keepalive-*` flags,
/// `--grpc-max-connection-age` and `--grpc-infer-response-compression-level`), and calls ended
/// with their headers, of the real `ledge serve`, seen by a raw HTTP/2 peer and by tritonclient's
/// gRPC client (scripts/check_grpc_transport.py); an idle TLS peer that never sends close_notify, or
/// one stalled in its handshake, does not hold a SIGTERM, and a slow TLS reader across one still gets its whole answer.
@Suite(.ownThread) struct GRPCTransportTests {
    @Test func keepalivePolicingAgeAndCompression() async throws {
        let result = try await ProcessRunner.check(
            "check_grpc_transport.py", venv: "venv-grpc", ["--ledge", Fixtures.ledgeExecutable, "--model", Fixtures.model("add.onnx")],
            timeLimit: 180)
        #expect(result.passed, "check_grpc_transport.py failed: \(result.stderr)")
        let keepalive = try Regex<(Substring, Substring, Substring)>(
            #"ok: keep-alive 1000 ms, timeout 2000 ms: a silent peer pinged at ([0-9.]+) s and closed at ([0-9.]+) s; "#
                + #"a peer that answers still open after 4\.5 s \(\d+ pings\); a peer sending calls without answering the ping "#
                + #"still open, its \d+ calls answered; a peer reading a 1\.6 MB answer at 300 KB/s for over 4 s still open, "#
                + #"one frozen before reading a 16 MB answer closed; a silent TLS peer's socket closed [0-9.]+ s after its ping; "#
                + #"SIGTERM with an idle TLS peer and a stalled TLS handshake: GOAWAY, exit 0 at once; a slow TLS reader across SIGTERM: its 640 KB answer whole, exit 0; a tritonclient stream quiet for 2\.5 s answered before and after"#
        )
        let seen = try #require(result.lines.lazy.compactMap { try? keepalive.wholeMatch(in: $0) }.first, "\(result.stdout)")
        // The ping 1 s after the last read, the close when nothing came 2 s later.
        let pinged = try #require(Double(seen.output.1)), closed = try #require(Double(seen.output.2))
        #expect(pinged >= 0.95 && closed - pinged >= 1.95, "ping at \(pinged) s, closed at \(closed) s")
        for line in [
            "ok: 4 pings 200 ms apart with no call open: the 4th (the third strike) gets GOAWAY ENHANCE_YOUR_CALM and the connection closed; with --grpc-keepalive-permit-without-calls 1 --grpc-http2-min-recv-ping-interval-without-data 0: 10 of 10 answered, still open",
            "ok: ModelInfer responses: plain by default; accepting identity,deflate,gzip: low gzip, med and high deflate; accepting identity,gzip: gzip at every level; accepting identity: plain; ServerMetadata plain; each answer a + b; tritonclient's unary and stream answers at high equal a + b",
            "ok: SIGTERM with --exit-timeout-secs 1 and a frozen client's ModelStreamInfer open: its connection closed, exit 0, no error line (the exit watchdog did not have to end the process)",
            "ok: 120 calls ended with their headers (more than the 100 concurrent streams allowed): each ended at once by trailers without a message, the connection kept; a call after them equals a + b; SIGTERM exit 0 before the exit timeout",
            "all gRPC transport checks passed",
        ] {
            #expect(result.lines.contains(line), "missing line: \(line)\n\(result.stdout)")
        }
        let age = try Regex<(Substring, Substring)>(
            #"ok: --grpc-max-connection-age 500: one GOAWAY \(last stream 0\) at ([0-9.]+) s, closed at [0-9.]+ s; "#
                + #"a call crossing the GOAWAY is not taken and the stream open beside it is answered, then the connection closes; "#
                + #"3 of 3 tritonclients idle 1 s past the age made their next call; a stream open [0-9.]+ s had its 10 requests "#
                + #"answered in order, then an infer on a new connection equals a \+ b"#)
        let aged = try #require(result.lines.lazy.compactMap { try? age.wholeMatch(in: $0) }.first, "\(result.stdout)")
        // 500 ms - 10 % at the earliest (read later on a loaded machine).
        #expect((0.44...1.0).contains(Double(aged.output.1) ?? 0), "\(aged.output.0)")
    }
}
