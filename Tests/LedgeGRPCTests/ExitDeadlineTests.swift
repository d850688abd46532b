import GRPCCore
@testable import LedgeGRPC
import Synchronization
import Testing

/// At the exit timeout, what a call still runs ends UNAVAILABLE with the reason, and is cancelled;
/// what ends before is answered as it is.
@Suite struct ExitDeadlineTests {
    static let reason = "the server is shutting down and its exit timeout of 1 s passed"

    /// The error `body` throws, as a status code and message.
    static func status(_ body: () async throws -> Int) async -> String {
        do {
            return "answered \(try await body())"
        } catch let error as RPCError {
            return "\(error.code) \(error.message)"
        } catch {
            return "\(error)"
        }
    }

    @Test func workThatEndsFirstIsAnswered() async throws {
        let deadline = ExitDeadline()
        #expect(try await deadline.race { 42 } == 42)
        deadline.pass(reason: Self.reason)
        #expect(deadline.reason == Self.reason)
    }

    @Test func workStillRunningAtTheDeadlineEndsUnavailableAndIsCancelled() async throws {
        let deadline = ExitDeadline()
        let started = AsyncStream<Void>.makeStream()
        let cancelled = Mutex(false)
        async let status = Self.status {
            try await deadline.race {
                started.continuation.yield()
                do {
                    try await Task.sleep(for: .seconds(3600))
                } catch {
                    cancelled.withLock { $0 = true }
                    throw error
                }
                return 1
            }
        }
        var iterator = started.stream.makeAsyncIterator()
        await iterator.next()
        deadline.pass(reason: Self.reason)
        #expect(await status == "unavailable \(Self.reason)")
        #expect(cancelled.withLock { $0 })
    }

    /// A call still waiting when the deadline passes, which it would never see begin (no new call
    /// begins while the server drains, but one accepted just before may reach the handler after).
    @Test func workBegunAfterTheDeadlineEndsAtOnce() async throws {
        let deadline = ExitDeadline()
        deadline.pass(reason: Self.reason)
        deadline.pass(reason: "a later reason")  // the first one stays
        let status = await Self.status {
            try await deadline.race {
                try await Task.sleep(for: .seconds(3600))
                return 1
            }
        }
        #expect(status == "unavailable \(Self.reason)")
    }
}
