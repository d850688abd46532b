#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif
internal import CLedgeProcess
internal import LedgeCore

/// The thread an instance's runs execute on, one after another.
///
/// A thread of its own rather than a serial dispatch queue: on Linux a queue's
/// work waits for a thread of libdispatch's pool of about one per core, which
/// Swift's tasks share, so under load a run queued behind image decodes while a
/// core sat idle. Measured with `efficientnet_lite0` at 8 concurrent clients on
/// 2 cores: 10.8 % more images/s (6 alternated rounds, every one higher).
final class InstanceThread: @unchecked Sendable {
    // Heap-allocated: pthread objects must not move, which a Swift stored property may.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `mutex`.
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false

    /// Starts the thread, named `name` (at most 15 bytes are kept).
    init(name: String) {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        DedicatedThread.start { [self] in
            _ = ledge_name_thread(name)
            loop()
        }
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Queues `job`; jobs run in the order they were queued.
    func async(_ job: @escaping @Sendable () -> Void) {
        pthread_mutex_lock(mutex)
        jobs.append(job)
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Ends the thread once the jobs queued so far have run.
    func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    private func loop() {
        while true {
            pthread_mutex_lock(mutex)
            while jobs.isEmpty && !stopping { pthread_cond_wait(condition, mutex) }
            if jobs.isEmpty {
                pthread_mutex_unlock(mutex)
                return
            }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            pthread_mutex_unlock(mutex)
            for job in batch { job() }
        }
    }
}
