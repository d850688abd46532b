internal import LedgeCore
internal import LedgeServer
internal import LedgeServing
internal import Logging
internal import NIOCore
internal import NIOEmbedded

/// FuzzFraming: raw bytes into the HTTP/1 server pipeline `ledge serve` builds (the raw
/// observer, NIO's HTTP/1 server codec as Hummingbird configures it, the HTTPTypes codec,
/// the guard, Hummingbird's connection state handler) on an `EmbeddedChannel`, with a
/// stand-in app (``FramingApp``) at the end.
///
/// Input layout:
///   byte 0   bits 0-1: the app's mode (``FramingApp/Mode``); bit 2: a 256-byte head limit
///            instead of Ledge's default 32 KiB (to reach 431); bit 3: the client half-closes
///            (inputClosed) after the last byte
///   byte 1   seed of the split points: the rest is written in chunks of pseudo-random sizes
///   rest     the bytes a client sends
///
/// Invariants: nothing traps; what the server writes is a sequence of HTTP/1.1 responses;
/// every 4xx/5xx the guard (not the app) writes is application/json with a one-line "error"
/// string; nothing is written after a response that says `Connection: close`. Deadlines are
/// not fuzzed here: the guard reads the real clock, the embedded loop has its own.
enum FramingTarget {
    private static let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })

    static func run(_ input: UnsafeBufferPointer<UInt8>) throws {
        guard input.count >= 2 else { return }
        let flags = input[0]
        var seed = UInt32(input[1]) &+ 1
        let payload = input[2...]

        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
        var limits = ConnectionLimits()
        if flags & 0x04 != 0 { limits.maxHeaderSize = 256 }
        do {
            try DecodingEntryPoints.addGuardedHTTP1Handlers(to: channel, limits: limits, logger: logger)
            try channel.pipeline.syncOperations.addHandler(FramingApp(mode: FramingApp.Mode(rawValue: flags & 0x03) ?? .atEnd))
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        } catch {
            throw FuzzFailure(.framing, "set-up failed: \(error)")
        }

        var output: [UInt8] = []
        func drain() throws {
            while let part = try? channel.readOutbound(as: IOData.self) {
                switch part {
                case .byteBuffer(let buffer): output.append(contentsOf: buffer.readableBytesView)
                case .fileRegion: throw FramingCheck.failure("a file region was written", input, output)
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
            try drain()
        }
        if flags & 0x08 != 0, channel.isActive {
            channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
        channel.embeddedEventLoop.run()
        try drain()
        _ = try? channel.finish(acceptAlreadyClosed: true)
        try drain()
        try FramingCheck.check(output, input)
    }
}
