#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif
internal import Dispatch
internal import Synchronization

/// Blocking work on threads of its own.
///
/// On Linux, Swift concurrency's global executor, the global dispatch queues,
/// custom concurrent queues and `concurrentPerform` share one libdispatch pool
/// of about one thread per core, which grows only after its threads have been
/// blocked for a while. Work that blocks there (a model compile, a load that
/// waits for another) holds back every task meanwhile, the server's start
/// included, and runs loads one after another instead of side by side.
package enum DedicatedThread {
    /// Runs `body` on a new detached thread.
    package static func start(_ body: @escaping @Sendable () -> Void) {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        let error = pthread_create(
            &thread, nil,
            { raw in
                Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
                return nil
            }, box)
        precondition(error == 0, "cannot start a thread: \(String(cString: strerror(error)))")
        pthread_detach(thread)
    }

    /// Runs each of `bodies` on a thread of its own, at most `limit` at once, and
    /// returns their results in order once every one has ended (the last on the calling thread).
    package static func runAll<T: Sendable>(_ bodies: [@Sendable () -> T], atMost limit: Int = .max) -> [T] {
        guard let last = bodies.last else { return [] }
        let results = Mutex([T?](repeating: nil, count: bodies.count))
        let done = DispatchSemaphore(value: 0)
        let slots = DispatchSemaphore(value: max(min(limit, bodies.count), 1))
        let run: @Sendable (Int, @Sendable () -> T) -> Void = { index, body in
            slots.wait()
            let result = body()
            slots.signal()
            results.withLock { $0[index] = result }
        }
        for (index, body) in bodies.dropLast().enumerated() {
            start {
                run(index, body)
                done.signal()
            }
        }
        run(bodies.count - 1, last)
        for _ in 1..<bodies.count { done.wait() }
        return results.withLock { $0 }.map { $0! }
    }
}
