import Foundation
@testable import LedgeServing
import LedgeTesting
import Logging
import Testing

/// The server gives freed heap back to the system once per burst of requests, when the burst is
/// over: never while requests keep finishing, never without a request served since the last time.
@Suite struct IdleHeapReleaseTests {
    /// The schedule, on a clock of its own: a count that keeps changing never releases; one that
    /// stands still for `idle` after a change releases once.
    @Test func scheduleReleasesOnceAfterEachBurst() {
        let start = ContinuousClock.now
        func at(_ ms: Int) -> ContinuousClock.Instant { start.advanced(by: .milliseconds(ms)) }
        var schedule = IdleReleaseSchedule(idle: .milliseconds(100), count: 0, now: at(0))
        var releases: [Int] = []
        // (ms, count): nothing served for 300 ms; then a request finishing every 90 ms until 900
        // (never 100 ms apart); idle until 1,500; one request at 1,600; idle.
        var steps = [(100, 0), (200, 0), (300, 0)]
        steps += stride(from: 390, through: 900, by: 90).enumerated().map { ($0.element, $0.offset + 1) }
        steps += stride(from: 925, through: 1500, by: 25).map { ($0, 6) }
        steps += [(1600, 7), (1650, 7), (1699, 7), (1700, 7), (1800, 7), (2000, 7)]
        for (ms, count) in steps where schedule.shouldRelease(count: UInt64(count), now: at(ms)) { releases.append(ms) }
        // Last change at 840 (count 6): released at the first look 100 ms or more later, then at 1,700.
        #expect(releases == [950, 1700])
    }

    /// The release, live: none before a request is served; one after a burst; none again without a request.
    @Test func onceAfterABurst() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(directory, versions: [1])
            let capture = LogCapture()
            let repository = try ModelRepository.load(
                .repository(path: directory), options: RepositoryOptions(), logger: capture.logger(level: .debug))
            let model = try repository.model(named: "add")
            let idle = Duration.milliseconds(100)
            let releasing = Task { await repository.runIdleHeapRelease(after: idle) }
            defer { releasing.cancel() }
            func releases() -> [String] { capture.messages.filter { $0.hasPrefix("idle for ") } }
            func waitForReleases(_ count: Int) async throws {
                let deadline = ContinuousClock.now + .seconds(10)
                while releases().count < count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            }
            try await Task.sleep(for: idle * 4)
            #expect(releases().isEmpty, "released before a request was served")
            for _ in 0..<5 { #expect(try await RepositoryVersionTests.sum(repository, model) == [2, 3, 4, 5]) }
            try await waitForReleases(1)
            #expect(releases().count == 1)
            #expect(releases().first?.hasPrefix("idle for 0.1 seconds: ") == true)
            #expect(releases().first?.contains(" to the system, resident ") == true)
            try await Task.sleep(for: idle * 4)
            #expect(releases().count == 1, "released again without a request")
            _ = try await RepositoryVersionTests.sum(repository, model)
            try await waitForReleases(2)
            #expect(releases().count == 2)
        }
    }
}
