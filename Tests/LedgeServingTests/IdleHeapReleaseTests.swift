import Foundation
@testable import LedgeServing
import LedgeTesting
import Logging
import Testing

/// The server gives freed heap back to the system once per burst of requests, when the burst is
/// over: never while requests keep finishing, never without a request served since the last time.
@Suite struct IdleHeapReleaseTests {
    static let idle = Duration.milliseconds(250)

    /// The release lines logged so far.
    static func releases(_ capture: LogCapture) -> [String] { capture.messages.filter { $0.hasPrefix("idle for ") } }

    /// Waits up to 10 s for `count` release lines.
    static func waitForReleases(_ count: Int, _ capture: LogCapture) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while releases(capture).count < count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    @Test func onceAfterEachBurst() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(directory, versions: [1])
            let capture = LogCapture()
            let repository = try ModelRepository.load(
                .repository(path: directory), options: RepositoryOptions(), logger: capture.logger(level: .debug))
            let model = try repository.model(named: "add")
            let releasing = Task { await repository.runIdleHeapRelease(after: Self.idle) }
            defer { releasing.cancel() }
            try await Task.sleep(for: Self.idle * 3)
            #expect(Self.releases(capture).isEmpty, "no request served yet")
            // Requests finishing for four idle periods on end: no release among them.
            let start = ContinuousClock.now
            while ContinuousClock.now - start < Self.idle * 4 {
                #expect(try await RepositoryVersionTests.sum(repository, model) == [2, 3, 4, 5])
            }
            #expect(Self.releases(capture).isEmpty, "released while requests kept finishing")
            try await Self.waitForReleases(1, capture)
            let first = Self.releases(capture)
            #expect(first.count == 1)
            #expect(first.first?.hasPrefix("idle for 0.25 seconds: ") == true)
            #expect(first.first?.contains(" to the system, resident ") == true)
            try await Task.sleep(for: Self.idle * 3)
            #expect(Self.releases(capture).count == 1, "released again without a request")
            _ = try await RepositoryVersionTests.sum(repository, model)
            try await Self.waitForReleases(2, capture)
            #expect(Self.releases(capture).count == 2)
        }
    }
}
