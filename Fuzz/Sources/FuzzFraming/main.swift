// FuzzFraming: raw bytes into the HTTP/1 server pipeline `ledge serve` builds (GuardedHTTP1Channel:
// RawInboundObserver, NIO's HTTP/1 server codec as Hummingbird configures it, HTTP1ToHTTPServerCodec,
// HTTPGuardHandler, HTTPConnectionStateHandler) on an EmbeddedChannel, with a stand-in app at the end.
//
// Input layout:
//   byte 0   bits 0-1: the app (0 answers at each request's end, 1 answers 404 at the head before
//            reading the body, 2 never answers, 3 answers at the end with a chunked body);
//            bit 2: a 256-byte head limit instead of Ledge's default 32 KiB (to reach 431);
//            bit 3: the client half-closes (inputClosed) after the last byte
//   byte 1   seed of the split points: the rest is written in chunks of pseudo-random sizes
//   rest     the bytes a client sends
//
// Invariants: nothing traps; what the server writes is a sequence of HTTP/1.1 responses
// ("HTTP/1.1 " first); every 4xx/5xx the guard (not the app) writes is application/json with
// an "error" string; nothing is written after a response that says `Connection: close`.
// Deadlines are not fuzzed here: the guard reads the real clock, the embedded loop has its own.
import CFuzzDriver
import Foundation
import HTTPTypes
import HummingbirdCore
import LedgeCore
@testable import LedgeServer
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// LEDGE_FUZZ_VERBOSE=1 prints what the server wrote for each input (to look at a corpus).
private let verbose = getenv("LEDGE_FUZZ_VERBOSE").map { String(cString: $0) == "1" } ?? false
private let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })

/// What the router would be: answers requests, marked `x-fuzz-app` so its statuses are told apart.
private final class StandInApp: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    enum Mode: UInt8 { case atEnd = 0, atHead, never, chunked }
    let mode: Mode
    private var bodyBytes = 0
    private var answered = false

    init(mode: Mode) { self.mode = mode }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head:
            bodyBytes = 0
            answered = false
            if mode == .atHead {
                answered = true
                respond(context, status: .notFound, body: #"{"error":"no such route"}"#, chunked: false)
            }
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
        case .end:
            if answered || mode == .never { return }
            respond(context, status: .ok, body: #"{"body_bytes":\#(bodyBytes)}"#, chunked: mode == .chunked)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Hummingbird ends the request's body stream with the error; the connection is the guard's.
    }

    private func respond(_ context: ChannelHandlerContext, status: HTTPResponse.Status, body: String, chunked: Bool) {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[HTTPField.Name("x-fuzz-app")!] = "1"
        if !chunked { fields[.contentLength] = String(body.utf8.count) }
        context.write(Self.wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        context.write(Self.wrapOutboundOut(.body(ByteBuffer(string: body))), promise: nil)
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
    }
}

private func fail(_ what: String, _ input: UnsafeBufferPointer<UInt8>, _ output: [UInt8]) -> Never {
    let sent = String(decoding: input.prefix(400), as: UTF8.self)
    let got = String(decoding: output.prefix(600), as: UTF8.self)
    fatalError("FuzzFraming invariant: \(what)\n  sent: \(sent.debugDescription)\n  got: \(got.debugDescription)")
}

/// One response parsed off `bytes` at `start`: status, lowercased fields, body, end index;
/// nil when it is not complete (a chunked body, or cut short).
private func parseResponse(_ bytes: [UInt8], from start: Int) -> (status: Int, fields: [String: String], body: [UInt8], end: Int)? {
    let crlfcrlf: [UInt8] = [13, 10, 13, 10]
    guard bytes.count - start >= 4 else { return nil }
    var headEnd: Int?
    for i in start...(bytes.count - 4) where Array(bytes[i..<(i + 4)]) == crlfcrlf { headEnd = i; break }
    guard let headEnd else { return nil }
    let head = String(decoding: bytes[start..<headEnd], as: UTF8.self)
    let lines = head.components(separatedBy: "\r\n")
    let statusLine = lines[0].split(separator: " ", maxSplits: 2)
    guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
    var fields: [String: String] = [:]
    for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    guard let lengthText = fields["content-length"], let length = Int(lengthText) else { return nil }
    let bodyStart = headEnd + 4
    guard bytes.count - bodyStart >= length else { return nil }
    return (status, fields, Array(bytes[bodyStart..<(bodyStart + length)]), bodyStart + length)
}

private func check(_ output: [UInt8], _ input: UnsafeBufferPointer<UInt8>) {
    let prefix = Array("HTTP/1.1 ".utf8)
    var index = 0
    while index < output.count {
        guard output.count - index >= prefix.count, Array(output[index..<(index + prefix.count)]) == prefix else {
            fail("a response does not start with 'HTTP/1.1 ' at byte \(index)", input, output)
        }
        guard let response = parseResponse(output, from: index) else { return }  // chunked (the app's) or cut short
        let fromApp = response.fields["x-fuzz-app"] != nil
        if response.status >= 400, !fromApp {
            if response.fields["content-type"] != "application/json" {
                fail("guard's \(response.status) has content-type \(response.fields["content-type"] ?? "none")", input, output)
            }
            let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            guard let message = object?["error"] as? String, !message.isEmpty, !message.contains("\n") else {
                fail("guard's \(response.status) has no one-line JSON 'error'", input, output)
            }
        }
        if response.fields["connection"]?.lowercased().contains("close") == true, response.end < output.count {
            fail("\(output.count - response.end) bytes written after a 'Connection: close' response", input, output)
        }
        index = response.end
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard size >= 2 else { return 0 }
    let flags = input[0]
    var seed = UInt32(input[1]) &+ 1
    let payload = input[2...]

    let channel = EmbeddedChannel()
    var limits = ConnectionLimits()
    if flags & 0x04 != 0 { limits.maxHeaderSize = 256 }
    let guardHandler = HTTPGuardHandler(configuration: HTTPGuardConfiguration(limits), logger: logger)
    do {
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(RawInboundObserver(guardHandler: guardHandler))
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderFieldSize = limits.maxHeaderSize
        decoderLimits.maxHeaderListSize = limits.maxHeaderSize
        decoderLimits.maxHeaderFieldCount = 100
        // As HummingbirdCore's HTTP1Channel.setup.
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
            withEncoderConfiguration: .init(), withDecoderLimitConfiguration: decoderLimits)
        try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
        try pipeline.addHandler(guardHandler)
        try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
        try pipeline.addHandler(StandInApp(mode: StandInApp.Mode(rawValue: flags & 0x03)!))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
    } catch {
        fatalError("FuzzFraming set-up: \(error)")
    }

    var output: [UInt8] = []
    func drain() {
        while let part = try? channel.readOutbound(as: IOData.self) {
            switch part {
            case .byteBuffer(let buffer): output.append(contentsOf: buffer.readableBytesView)
            case .fileRegion: fail("a file region was written", input, output)
            }
        }
    }

    var offset = payload.startIndex
    while offset < payload.endIndex, channel.isActive {
        seed = seed &* 1_103_515_245 &+ 12_345
        let chunk = min(Int(seed >> 16) % 97 + 1, payload.endIndex - offset)
        do {
            try channel.writeInbound(ByteBuffer(bytes: payload[offset..<(offset + chunk)]))
        } catch {
            // An error that reached the end of the pipeline: Hummingbird logs it and closes; not a crash.
        }
        offset += chunk
        drain()
    }
    if flags & 0x08 != 0, channel.isActive {
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
    }
    channel.embeddedEventLoop.run()
    drain()
    _ = try? channel.finish(acceptAlreadyClosed: true)
    drain()
    if verbose {
        print("--- \(size) bytes in, \(output.count) out, active \(channel.isActive)\n\(String(decoding: output, as: UTF8.self))")
    }
    check(output, input)
    return 0
}

exit(ledge_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { data, size in fuzz(data!, size) })
