import Foundation
import LedgeCore
@testable import LedgeLiteRT
import LedgeTesting
import Testing

/// A multi-thread session finds XNNPACK's worker threads when it compiles and, before each
/// run, pins each to a core of its own other than the running thread's (so that a run after a
/// pause does not find them sharing its core); a 1-thread session has none to place.
@Suite struct WorkerPlacementTests {
    /// The CPUs thread `id` of this process may run on (`Cpus_allowed_list`, as `0-1` or `0,2`).
    static func allowedCPUs(_ id: Int32) throws -> [Int] {
        let status = try String(contentsOfFile: "/proc/self/task/\(id)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        return line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces).split(separator: ",").flatMap { part in
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            return bounds.count == 2 ? Array(bounds[0]...bounds[1]) : bounds
        }
    }

    @Test func workersAreFoundAndKeptOffTheRunningThreadsCore() throws {
        let cores = try Self.allowedCPUs(Int32(ProcessInfo.processInfo.processIdentifier)).count
        let session = try Support.session(threads: 2)
        guard cores >= 2 else {
            #expect(session.placement == nil, "one core: no core to spare for a worker")
            return
        }
        let placement = try #require(session.placement)
        #expect(placement.workers.count == 1, "XNNPACK with 2 threads has 1 worker: \(placement.workers)")
        for worker in placement.workers {
            let comm = try String(contentsOfFile: "/proc/self/task/\(worker)/comm", encoding: .utf8)
            #expect(comm.hasPrefix("ledge-xnn-"), "worker \(worker) is named \(comm)")
        }
        let input = Tensor(dtype: .uint8, shape: [1, 224, 224, 3])
        for _ in 0..<3 {
            _ = try session.run([input])
            let pinned = try placement.workers.map { try Self.allowedCPUs($0) }
            #expect(pinned.allSatisfy { $0.count == 1 }, "each worker on one core: \(pinned)")
            #expect(Set(pinned.map(\.first)).count == placement.workers.count, "workers on distinct cores: \(pinned)")
        }
        // The tag was the compiling thread's for the compile only.
        let own = try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
        #expect(!own.hasPrefix("ledge-xnn-"))
    }

    @Test func aOneThreadSessionHasNoWorkers() throws {
        #expect(try Support.session(threads: 1).placement == nil)
    }
}
