internal import LedgeCore
package import Metrics
internal import Synchronization

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// The server process's and the machine's CPU and memory, read from Linux's `/proc` at each scrape
/// of `GET /metrics`: Prometheus's standard process metrics (the names Go and Python clients use,
/// so existing dashboards and alerts work) and Triton's CPU metrics with Ledge's prefix.
package final class ProcessMetrics: Sendable {
    /// Every family and its `# HELP` text.
    package static let help: [String: String] = [
        "process_cpu_seconds_total": "User and system CPU time of the server process, in seconds",
        "process_resident_memory_bytes": "Resident memory of the server process, in bytes",
        "process_virtual_memory_bytes": "Virtual memory of the server process, in bytes",
        "process_open_fds": "Open file descriptors of the server process",
        "process_max_fds": "The server process's limit on open file descriptors (RLIMIT_NOFILE)",
        "process_start_time_seconds": "When the server process started, in seconds since the Unix epoch",
        "ledge_cpu_utilization": "CPU utilization of the whole machine (0 to 1) since the last scrape (since boot at the first)",
        "ledge_cpu_memory_total_bytes": "Memory of the machine (MemTotal), in bytes",
        "ledge_cpu_memory_used_bytes": "Memory of the machine in use (MemTotal - MemAvailable), in bytes",
    ]

    private let cpuSeconds: FloatingPointCounter
    private let resident: Meter
    private let virtual: Meter
    private let openDescriptors: Meter
    private let maxDescriptors: Meter
    private let startTime: Meter
    private let utilization: Meter
    private let memoryTotal: Meter
    private let memoryUsed: Meter
    /// The process's CPU seconds counted so far and the machine's (busy, total) ticks at the last scrape.
    private let last = Mutex<(cpuSeconds: Double, busy: UInt64, total: UInt64)>((0, 0, 0))

    package init(factory: any MetricsFactory) {
        func gauge(_ name: String) -> Meter { Meter(label: name, dimensions: [], factory: factory) }
        cpuSeconds = FloatingPointCounter(label: "process_cpu_seconds_total", dimensions: [], factory: factory)
        resident = gauge("process_resident_memory_bytes")
        virtual = gauge("process_virtual_memory_bytes")
        openDescriptors = gauge("process_open_fds")
        maxDescriptors = gauge("process_max_fds")
        startTime = gauge("process_start_time_seconds")
        utilization = gauge("ledge_cpu_utilization")
        memoryTotal = gauge("ledge_cpu_memory_total_bytes")
        memoryUsed = gauge("ledge_cpu_memory_used_bytes")
    }

    /// Reads `/proc` and sets every metric (one that cannot be read keeps its last value).
    package func sample() {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let machine = Self.fields((try? ProcFile.text("/proc/stat")) ?? "")
        if let stat = try? ProcFile.text("/proc/self/stat"), let end = stat.lastIndex(of: ")") {
            // After "pid (comm)": state is field 3; utime 14, stime 15, starttime 22, vsize 23, rss 24.
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            func field(_ number: Int) -> Double? { fields.count > number - 3 ? Double(fields[number - 3]) : nil }
            if let user = field(14), let system = field(15), ticks > 0 {
                let total = (user + system) / ticks
                let delta = last.withLock { last -> Double in
                    defer { last.cpuSeconds = max(last.cpuSeconds, total) }
                    return max(total - last.cpuSeconds, 0)
                }
                if delta > 0 { cpuSeconds.increment(by: delta) }
            }
            if let started = field(22), let boot = machine["btime"]?.first, ticks > 0 { startTime.set(Double(boot) + started / ticks) }
            if let vsize = field(23) { virtual.set(vsize) }
            if let pages = field(24) { resident.set(pages * Double(sysconf(Int32(_SC_PAGESIZE)))) }
        }
        openDescriptors.set(Self.openDescriptorCount())
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { maxDescriptors.set(Double(limit.rlim_cur)) }
        // user nice system idle iowait irq softirq steal: idle and iowait are not busy; guest time is inside user.
        if let cpu = machine["cpu"], cpu.count >= 4 {
            let total = cpu.prefix(8).reduce(0, +)
            let busy = total - cpu[3] - (cpu.count > 4 ? cpu[4] : 0)
            let fraction = last.withLock { last -> Double? in
                defer { (last.busy, last.total) = (busy, total) }
                guard total > last.total, busy >= last.busy else { return nil }
                return Double(busy - last.busy) / Double(total - last.total)
            }
            if let fraction { utilization.set(min(max(fraction, 0), 1)) }
        }
        if let meminfo = try? ProcFile.text("/proc/meminfo") {
            let values = Self.fields(meminfo, separator: ":")
            if let total = values["MemTotal"]?.first {
                memoryTotal.set(Double(total) * 1024)
                if let available = values["MemAvailable"]?.first { memoryUsed.set(Double(total - min(available, total)) * 1024) }
            }
        }
    }

    /// Lines of `text` as name → its numbers (`cpu  1 2 3` → `cpu: [1, 2, 3]`; `MemTotal: 8 kB` with `:`).
    private static func fields(_ text: String, separator: Character = " ") -> [String: [UInt64]] {
        var result: [String: [UInt64]] = [:]
        for line in text.split(separator: "\n") {
            guard let split = line.firstIndex(of: separator) else { continue }
            let numbers = line[line.index(after: split)...].split(separator: " ").compactMap { UInt64($0) }
            result[String(line[..<split])] = numbers
        }
        return result
    }

    /// Entries of `/proc/self/fd`, less the one the count itself opens.
    private static func openDescriptorCount() -> Double {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { count += 1 }
        }
        return Double(max(count - 1, 0))
    }
}
