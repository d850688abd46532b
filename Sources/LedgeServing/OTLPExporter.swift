internal import Dispatch
internal import Glibc
internal import LedgeCore
internal import Logging
internal import Metrics
internal import Synchronization

/// What the exporter counts for /metrics.
package struct TraceExportCounters: Sendable {
    let exported: Counter
    let queueFull: Counter
    let exportFailed: Counter
}

/// OpenTelemetry's batch span processor with an OTLP/HTTP exporter, on a thread of its own:
/// finished spans wait in a bounded queue (past `bsp_max_queue_size` they are dropped and
/// counted) and are posted as protobuf every `bsp_schedule_delay` ms, or as soon as
/// `bsp_max_export_batch_size` wait. A collector that is down or slow costs requests nothing:
/// the batch is dropped with one warning until it answers again.
final class OTLPExporter: Sendable {
    private struct State {
        var spans: [OTLPSpan] = []
        var dropped = 0
        var stopping = false
        var failing = false
    }

    private let settings: OpenTelemetrySettings
    private let endpoint: OTLPEndpoint
    private let logger: Logger
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    private let counters: TraceExportCounters?

    init(settings: OpenTelemetrySettings, endpoint: OTLPEndpoint, logger: Logger, counters: TraceExportCounters?) {
        self.settings = settings
        self.endpoint = endpoint
        self.logger = logger
        self.counters = counters
        DedicatedThread.start { [self] in run() }
    }

    /// Queues a request's spans (all or none, so a trace is never half exported).
    func add(_ spans: [OTLPSpan]) {
        let (accepted, full, warn) = state.withLock { state -> (Bool, Bool, Int?) in
            guard state.spans.count + spans.count <= settings.maxQueueSize, !state.stopping else {
                state.dropped += spans.count
                return (false, false, state.dropped == spans.count ? state.dropped : nil)
            }
            state.spans.append(contentsOf: spans)
            return (true, state.spans.count >= settings.maxExportBatchSize, nil)
        }
        if !accepted { counters?.queueFull.increment(by: spans.count) }
        if let warn {
            logger.warning(
                "trace: \(warn) spans dropped: more than bsp_max_queue_size (\(settings.maxQueueSize)) waited for export to \(endpoint.description)")
        }
        if full { wake.signal() }
    }

    /// Exports what is queued (waiting at most `seconds` for the collector) and ends the thread.
    func shutdown(seconds: Int = 5) {
        state.withLock { $0.stopping = true }
        wake.signal()
        _ = done.wait(timeout: .now() + .seconds(seconds))
    }

    /// Exports a full batch as soon as one waits, else what waits every schedule delay, and
    /// everything at shutdown. A wake-up for a batch taken meanwhile sends nothing early.
    private func run() {
        defer { done.signal() }
        var deadline = DispatchTime.now() + .milliseconds(settings.scheduleDelayMilliseconds)
        while true {
            _ = wake.wait(timeout: deadline)
            var due = DispatchTime.now() >= deadline
            while true {
                let (batch, stopping) = state.withLock { state -> ([OTLPSpan], Bool) in
                    guard state.stopping || due || state.spans.count >= settings.maxExportBatchSize else { return ([], false) }
                    let count = min(state.spans.count, settings.maxExportBatchSize)
                    defer { state.spans.removeFirst(count) }
                    return (Array(state.spans.prefix(count)), state.stopping)
                }
                if batch.isEmpty {
                    if stopping { return }
                    break
                }
                export(batch)
                due = false  // after the timer's batch, only full ones
            }
            if DispatchTime.now() >= deadline { deadline = DispatchTime.now() + .milliseconds(settings.scheduleDelayMilliseconds) }
        }
    }

    private func export(_ batch: [OTLPSpan]) {
        let body = OTLPEncoding.exportRequest(resource: settings.resource, spans: batch)
        let problem: String?
        do {
            let status = try OTLPHTTP.post(body, to: endpoint, timeoutSeconds: 5)
            problem = (200..<300).contains(status) ? nil : "the collector answered \(status)"
        } catch let error as LedgeError {
            problem = error.message
        } catch {
            problem = "\(error)"
        }
        if problem == nil { counters?.exported.increment(by: batch.count) } else { counters?.exportFailed.increment(by: batch.count) }
        let (wasFailing, dropped) = state.withLock { state -> (Bool, Int) in
            defer {
                state.failing = problem != nil
                state.dropped = 0
            }
            return (state.failing, state.dropped)
        }
        if let problem, !wasFailing {
            logger.warning("trace: cannot export \(batch.count) spans to \(endpoint.description): \(problem); spans are dropped until it answers")
        } else if problem == nil, wasFailing {
            logger.notice("trace: exporting spans to \(endpoint.description) again")
        }
        if dropped > 0, problem == nil { logger.debug("trace: \(dropped) spans were dropped before this export") }
    }
}

/// One blocking HTTP/1.1 POST of an OTLP protobuf body (`Connection: close`): the exporter's
/// thread sends a batch every few seconds, which needs no connection pool.
enum OTLPHTTP {
    /// The response's status code.
    static func post(_ body: [UInt8], to endpoint: OTLPEndpoint, timeoutSeconds: Int) throws -> Int {
        let socket = try openConnection(endpoint, timeoutSeconds: timeoutSeconds)
        defer { close(socket) }
        let head =
            "POST \(endpoint.path) HTTP/1.1\r\nHost: \(endpoint.url.hostHeader)\r\nContent-Type: application/x-protobuf\r\n"
            + "Content-Length: \(body.count)\r\nConnection: close\r\nUser-Agent: ledge\r\n\r\n"
        try sendAll(socket, Array(head.utf8) + body)
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while !response.contains(UInt8(ascii: "\n")) && response.count < 8192 {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count < 0 { throw LedgeError.runtimeFailure("no answer: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            response.append(contentsOf: buffer[0..<count])
        }
        let line = String(decoding: response.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw LedgeError.runtimeFailure("not an HTTP answer: '\(line.prefix(80))'")
        }
        return status
    }

    private static func openConnection(_ endpoint: OTLPEndpoint, timeoutSeconds: Int) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let found = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard found == 0, let first = list else {
            throw LedgeError.runtimeFailure("cannot resolve \(endpoint.host): \(String(cString: gai_strerror(found)))")
        }
        defer { freeaddrinfo(list) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        var reason = "no address"
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let address = next {
            next = address.pointee.ai_next
            let handle = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            guard handle >= 0 else { continue }
            // Bounds connect, send and receive alike (Linux applies SO_SNDTIMEO to connect).
            setsockopt(handle, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(handle, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            if connect(handle, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return handle }
            reason = String(cString: strerror(errno))
            close(handle)
        }
        throw LedgeError.runtimeFailure("cannot connect: \(reason)")
    }

    private static func sendAll(_ socket: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { send(socket, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw LedgeError.runtimeFailure("cannot send: \(String(cString: strerror(errno)))") }
            sent += count
        }
    }
}
