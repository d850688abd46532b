#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// The process's resident memory, read from Linux's `/proc/self`.
///
/// Peak RSS per variant: before loading a variant the kernel's high-water mark
/// (`VmHWM`) is reset by writing `5` to `/proc/self/clear_refs`. When that is
/// not permitted (or on a system without it), the peak is the largest RSS seen
/// by sampling during the runs (``MemoryMonitor/sample()``), which can miss
/// short spikes between samples.
public enum ProcessMemory {
    /// The kernel's high-water mark of RSS (`VmHWM` in `/proc/self/status`) in bytes, `nil` when unknown.
    public static func highWaterMarkBytes() -> Int? {
        guard let text = try? ProcFile.text("/proc/self/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kb = Int(parts[1]) { return kb * 1024 }
        }
        return nil
    }

    /// Resets `VmHWM` to the current RSS; false when the kernel does not allow it.
    @discardableResult
    public static func resetHighWaterMark() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }

}

/// Tracks one variant's memory: RSS before loading, sampled peak, and the kernel's high-water mark.
final class MemoryMonitor {
    let startBytes: Int
    private(set) var sampledPeak: Int
    private let highWaterMarkReset: Bool
    private var lastSample = ContinuousClock.now

    init() {
        highWaterMarkReset = ProcessMemory.resetHighWaterMark()
        startBytes = ProcFile.residentBytes()
        sampledPeak = startBytes
    }

    /// Samples RSS at most every 20 ms (cheap to call after every run).
    func sample() {
        let now = ContinuousClock.now
        guard now - lastSample >= .milliseconds(20) else { return }
        lastSample = now
        sampledPeak = max(sampledPeak, ProcFile.residentBytes())
    }

    /// (peak, growth) in bytes at the end of the variant.
    func finish() -> (peak: Int, growth: Int) {
        let end = ProcFile.residentBytes()
        var peak = max(sampledPeak, end)
        if highWaterMarkReset, let hwm = ProcessMemory.highWaterMarkBytes() { peak = max(peak, hwm) }
        return (peak, end - startBytes)
    }
}
