internal import Dispatch
internal import LedgeCompression
internal import LedgeCore
internal import LedgeFetch
internal import Logging
internal import Metrics
internal import Synchronization

/// What the exporter counts for /metrics.
package struct TraceExportCounters: Sendable {
    let exported: Counter
    let queueFull: Counter
    let exportFailed: Counter
}

/// OpenTelemetry's batch span processor with an OTLP exporter (HTTP(S) or gRPC), on a thread of its own:
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
    private let sender: any OTLPSender
    private var endpoint: String { sender.description }
    private let logger: Logger
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    /// Ends a wait before a retry early: signalled at shutdown.
    private let interrupt = DispatchSemaphore(value: 0)

    private let counters: TraceExportCounters?

    init(settings: OpenTelemetrySettings, endpoint: OTLPEndpoint, logger: Logger, counters: TraceExportCounters?) {
        self.settings = settings
        sender = Self.sender(settings: settings, endpoint: endpoint)
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
                "trace: \(warn) spans dropped: more than bsp_max_queue_size (\(settings.maxQueueSize)) waited for export to \(endpoint)")
        }
        if full { wake.signal() }
    }

    /// Exports what is queued (waiting at most `seconds` for the collector) and ends the thread.
    func shutdown(seconds: Int = 5) {
        state.withLock { $0.stopping = true }
        wake.signal()
        interrupt.signal()
        _ = done.wait(timeout: .now() + .seconds(seconds))
    }

    /// Exports a full batch as soon as one waits, else what waits every schedule delay, and
    /// everything at shutdown. A wake-up for a batch taken meanwhile sends nothing early.
    private func run() {
        defer {
            sender.close()
            done.signal()
        }
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

    /// Posts `batch`, again after a while when the collector answers that it is busy
    /// (``OTLPRetry``; not while shutting down), and counts and logs how it went.
    private func export(_ batch: [OTLPSpan]) {
        let body = OTLPEncoding.exportRequest(resource: settings.resource, spans: batch)
        let problem = sender.deliver(body, interrupt: interrupt, stopping: { state.withLock { $0.stopping } }) { answer, delay in
            logger.debug("trace: the collector answered \(answer): \(batch.count) spans sent again after \(delay) s")
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
            logger.warning("trace: cannot export \(batch.count) spans to \(endpoint): \(problem); spans are dropped until it answers")
        } else if problem == nil, wasFailing {
            logger.notice("trace: exporting spans to \(endpoint) again")
        }
        if dropped > 0, problem == nil { logger.debug("trace: \(dropped) spans were dropped before this export") }
    }
}

/// How one export went, whichever protocol carried it.
enum OTLPDelivery: Sendable, Equatable {
    case delivered
    /// The collector answered no: `answer` names its answer (`503`, `UNAVAILABLE`); `retryable`
    /// when the protocol calls that answer worth another try, `retryAfter` the delay it asked for.
    case refused(answer: String, retryable: Bool, retryAfter: String?)
    /// No answer: why (`connection refused`, `no answer within 1 s`).
    case failed(String)
}

/// Carries exports to the collector, one at a time, on the exporter's own thread.
protocol OTLPSender: Sendable {
    /// The collector, for messages.
    var description: String { get }
    /// Sends one `ExportTraceServiceRequest`; blocks until the collector answered or gave none.
    func send(_ body: [UInt8]) -> OTLPDelivery
    /// Ends what the sender keeps open between exports.
    func close()
}

extension OTLPExporter {
    /// The sender the settings ask for: gRPC (`…_PROTOCOL=grpc`), else HTTP.
    static func sender(settings: OpenTelemetrySettings, endpoint: OTLPEndpoint) -> any OTLPSender {
        settings.grpc ? OTLPGRPCSender(settings: settings, endpoint: endpoint) : OTLPPoster(settings: settings, endpoint: endpoint)
    }
}

extension OTLPSender {
    /// Sends `body`; an answer the protocol calls worth another try is sent again after the
    /// collector's delay or 1, 2, 4 s (``OTLPRetry``) unless `stopping()`, each wait ended early by
    /// `interrupt` (`retrying` hears the answer and the delay). `nil` when delivered, else the
    /// problem (`the collector answered 503 4 times`, `connection refused`).
    func deliver(_ body: [UInt8], interrupt: DispatchSemaphore, stopping: () -> Bool, retrying: (String, Int) -> Void) -> String? {
        var tries = 0
        while true {
            tries += 1
            switch send(body) {
            case .delivered:
                return nil
            case .refused(let answer, let retryable, let retryAfter):
                if retryable, let delay = RetrySchedule.delay(retryAfter: retryAfter, retry: tries - 1, retries: OTLPRetry.retries),
                    !stopping(), interrupt.wait(timeout: .now() + .seconds(delay)) == .timedOut
                {
                    retrying(answer, delay)
                    continue
                }
                return "the collector answered \(answer)" + (tries > 1 ? " \(tries) times" : "")
            case .failed(let reason):
                return reason
            }
        }
    }
}

/// One OTLP/HTTP export at a time: a POST of the protobuf body (gzip-compressed when set) on
/// ``HTTPClient`` — TLS for an `https` collector, verified against the settings' trust roots,
/// presenting their client certificate when asked — waited for on the exporter's own thread.
struct OTLPPoster: OTLPSender {
    let endpoint: OTLPEndpoint
    var description: String { endpoint.description }
    private let client: HTTPClient
    private let headers: [(String, String)]
    private let gzip: Bool

    init(settings: OpenTelemetrySettings, endpoint: OTLPEndpoint) {
        self.endpoint = endpoint
        var client = HTTPClient(
            timeLimit: Int64((settings.timeoutMilliseconds + 999) / 1000), trustRoots: settings.certificate, identity: settings.identity)
        client.maxResponseBytes = Self.maxAnswer
        self.client = client
        headers =
            [("Content-Type", "application/x-protobuf")] + (settings.gzip ? [("Content-Encoding", "gzip")] : [])
            + settings.headers.map { ($0.key, $0.value) }
        gzip = settings.gzip
    }

    /// Bytes of a collector's answer read at most: an `ExportTraceServiceResponse` is a few.
    static let maxAnswer = 1 << 20

    func send(_ body: [UInt8]) -> OTLPDelivery {
        switch post(body) {
        case .success(let answer) where (200..<300).contains(answer.status): .delivered
        case .success(let answer):
            .refused(answer: String(answer.status), retryable: OTLPRetry.statuses.contains(answer.status), retryAfter: answer.header("Retry-After"))
        case .failure(let failure): .failed(failure.reason)
        }
    }

    func close() {}

    /// The collector's answer, or why it gave none. Blocks the calling thread, which must not be
    /// one of Swift's pool (the exporter's is its own).
    func post(_ body: [UInt8]) -> Result<HTTPResponse, HTTPClient.Failure> {
        let payload: [UInt8]
        do {
            // Level 1: an export of 512 spans 0.225× its size for +8.5 µs of server CPU per traced
            // request; level 6 made it 0.216× for +15.6 µs (Benchmarks/trace_cost.py, same run).
            payload = gzip ? try Deflater.compress(body, format: .gzip, level: 1) : body
        } catch {
            return .failure(HTTPClient.Failure(code: .remoteFailure, reason: "cannot compress the export: \(error)"))
        }
        let outcome = Mutex<Result<HTTPResponse, HTTPClient.Failure>?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Task { [client, endpoint, headers] in
            let result: Result<HTTPResponse, HTTPClient.Failure>
            do throws(HTTPClient.Failure) {
                result = .success(try await client.post(endpoint.url, headers: headers, body: payload))
            } catch {
                result = .failure(error)
            }
            outcome.withLock { $0 = result }
            finished.signal()
        }
        finished.wait()
        return outcome.withLock { $0! }
    }
}

/// OTLP/HTTP's answers worth another try — 429, 502, 503 and 504, the protocol's "retryable"
/// ones — after the collector's `Retry-After` (seconds or a date, at most 30 s) or else 1, 2 and 4 s: three
/// more tries at most. Anything else, and a collector that cannot be reached, drops the batch at
/// once (the next batch tries again).
enum OTLPRetry {
    static let retries = 3
    static let statuses: Set<Int> = [429, 502, 503, 504]

    /// Seconds to wait before retry number `retry + 1` after HTTP status `status`, or `nil` for no retry.
    static func delay(status: Int, retryAfter: String?, retry: Int) -> Int? {
        statuses.contains(status) ? RetrySchedule.delay(retryAfter: retryAfter, retry: retry, retries: retries) : nil
    }
}
