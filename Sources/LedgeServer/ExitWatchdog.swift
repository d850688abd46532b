internal import LedgeCore
public import Logging

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// The exit timeout's last resort: a thread that ends the process if it still runs well after the
/// exit timeout, as Triton exits once its exit timeout passes whatever is still in flight.
///
/// Everything else ends by then: requests get their 503, connections close, the service group
/// cancels, ONNX Runtime runs stop at their next kernel. What cannot be stopped is a kernel that
/// runs for long (ONNX Runtime checks its terminate flag between kernels), a LiteRT run (a graph
/// XNNPACK takes whole), an instance still compiling, or a cooperative pool kept busy by large
/// responses; each held the process for seconds, up to as long as the run took.
public enum ExitWatchdog {
    /// Starts the thread: `after` the start (the exit timeout plus a grace), it logs one error
    /// line, runs `flush` (the log lines still queued) and exits with status 0 (`_exit`: no static
    /// destructor runs under a thread still inside a runtime). A process that ends first ends it.
    public static func start(after delay: Duration, exitTimeout: String, logger: Logger, flush: @escaping @Sendable () -> Void) {
        DedicatedThread.start {
            let deadline = ContinuousClock.now + delay
            while ContinuousClock.now < deadline { usleep(100_000) }
            logger.error(
                "exit timeout of \(exitTimeout) s passed and the process still runs (a model run or load the runtime cannot stop): exiting now")
            flush()
            fflush(nil)  // every C stream
            _exit(0)
        }
    }
}
