import CDispatch
import Dispatch
import Foundation
import HummingbirdTesting
import LedgeServing
import LedgeTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The process and machine metrics of `GET /metrics` (Prometheus's `process_*`, Triton's CPU
/// metrics as `ledge_cpu_*`), each against what another interface of the kernel says.
@Suite(.ownThread) struct ProcessMetricsTests {
    static let families = [
        ("process_cpu_seconds_total", "counter"), ("process_resident_memory_bytes", "gauge"), ("process_virtual_memory_bytes", "gauge"),
        ("process_open_fds", "gauge"), ("process_max_fds", "gauge"), ("process_start_time_seconds", "gauge"),
        ("ledge_cpu_utilization", "gauge"), ("ledge_cpu_memory_total_bytes", "gauge"), ("ledge_cpu_memory_used_bytes", "gauge"),
    ]

    static func value(_ exposition: Exposition, _ name: String) throws -> Double {
        try #require(exposition.values[name].flatMap(Double.init), "\(name) missing")
    }

    /// This process's user + system CPU seconds from getrusage.
    static func rusageSeconds() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Busy until this thread has used `cpuSeconds` of CPU; the CPU seconds it used.
    static func spin(cpuSeconds: Double) -> Double {
        func now() -> Double {
            var time = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        }
        let start = now()
        var x = 0.0
        while now() - start < cpuSeconds { x += 1 }
        return x > 0 ? now() - start : 0
    }

    @Test func processAndMachineFiguresMatchTheKernelsOtherAnswers() async throws {
        try await TestServer.withApp { client in
            let first = try await MetricsTests().metrics(client)
            for (name, type) in Self.families {
                #expect(first.comments.contains("# TYPE \(name) \(type)"), "\(name)")
                #expect(first.comments.contains { $0.hasPrefix("# HELP \(name) ") }, "\(name) has no help")
            }
            #expect(first.malformed.isEmpty, "\(first.malformed)")

            // Memory: RSS as ps reads it (KiB), within a quarter; the machine's memory as sysconf counts it (from sysinfo), exactly.
            let ps = try ProcessRunner.run("/bin/ps", ["-o", "rss=,etimes=", "-p", String(getpid())])
            let psFields = ps.stdout.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
            let rss = try Self.value(first, "process_resident_memory_bytes")
            #expect(psFields.count == 2 && abs(rss - psFields[0] * 1024) <= psFields[0] * 1024 / 4, "\(rss) against ps \(ps.stdout)")
            let started = try Self.value(first, "process_start_time_seconds")
            #expect(abs(started - (Date().timeIntervalSince1970 - psFields[1])) < 3, "start \(started), ps elapsed \(psFields[1])")
            #expect(try Self.value(first, "process_virtual_memory_bytes") >= rss)
            let total = Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
            #expect(try Self.value(first, "ledge_cpu_memory_total_bytes") == total)
            let used = try Self.value(first, "ledge_cpu_memory_used_bytes")
            #expect(used > 0 && used < total)

            // Descriptors: the limit getrlimit gives; the count near the directory's (other suites open and close theirs meanwhile).
            var limit = rlimit()
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            #expect(try Self.value(first, "process_max_fds") == Double(limit.rlim_cur))
            let open = try Self.value(first, "process_open_fds")
            let listed = Double(try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count)
            #expect(open > 2 && abs(open - listed) < 64, "\(open) against \(listed) entries")

            // CPU: a thread that uses 0.4 s of CPU (its own clock, however busy the machine) between two
            // scrapes shows in the process's seconds and in the machine's use over that window.
            let before = Self.rusageSeconds()
            let cpuBefore = try Self.value(first, "process_cpu_seconds_total")
            #expect(cpuBefore <= before + 0.05, "\(cpuBefore) against getrusage \(before)")
            let clock = ContinuousClock()
            let start = clock.now
            let spun = await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(returning: Self.spin(cpuSeconds: 0.4)) }
            }
            let second = try await MetricsTests().metrics(client)
            let elapsed = (clock.now - start).inSeconds
            let cpuAfter = try Self.value(second, "process_cpu_seconds_total")
            #expect(cpuAfter - cpuBefore >= spun - 0.05, "\(cpuBefore) → \(cpuAfter) after spinning \(spun) s")
            #expect(cpuAfter <= Self.rusageSeconds() + 0.05)
            let cores = Double(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            let utilization = try Self.value(second, "ledge_cpu_utilization")
            #expect(
                utilization <= 1 && utilization >= (spun - 0.05) / elapsed / cores, "\(utilization) over \(elapsed) s on \(cores) cores")

            // Prometheus's own parser (prometheus_client, pinned in the KServe venv) reads the whole exposition.
            try await withTemporaryDirectory { folder in
                try second.text.write(toFile: folder + "/metrics.txt", atomically: true, encoding: .utf8)
                let parsed = try ProcessRunner.run(
                    Fixtures.home + "/venv-kserve/bin/python",
                    [
                        "-c",
                        "import sys; from prometheus_client.parser import text_string_to_metric_families as parse; "
                            + "[print(f.name, f.type, len(f.samples)) for f in parse(open(sys.argv[1]).read())]",
                        folder + "/metrics.txt",
                    ])
                #expect(parsed.status == 0, "\(parsed.stderr)")
                let lines = Set(parsed.stdout.split(separator: "\n").map(String.init))
                for (name, type) in Self.families {
                    let family = type == "counter" ? String(name.dropLast("_total".count)) : name
                    #expect(lines.contains("\(family) \(type) 1"), "\(family) \(type) not parsed: \(parsed.stdout)")
                }
            }
        }
    }
}
