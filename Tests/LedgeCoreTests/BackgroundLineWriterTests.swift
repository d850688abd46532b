import Dispatch
import Foundation
import LedgeCore
import Testing

/// The log writer of `ledge serve` on a real pipe that nobody reads for a while: writing lines never
/// waits for the reader, the lines that fit are kept in order, the others are dropped and counted
/// in one warning once the reader takes lines again.
@Suite struct BackgroundLineWriterTests {
    @Test func aStalledReaderNeitherBlocksNorLosesTrackOfLines() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let (reader, writerEnd) = (ends[0], ends[1])
        defer {
            close(reader)
            close(writerEnd)
        }
        let writer = BackgroundLineWriter(descriptor: writerEnd, limit: 8192)
        defer { writer.stop() }
        let lines = (0..<3000).map { "line \(String(repeating: "x", count: 80)) \($0)\n" }
        // 3000 lines of ~90 bytes: far more than the pipe (64 KB) and the limit (8 KB) hold together.
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            for line in lines { writer.write(line) }
            done.signal()
        }
        // A hang guard, not a speed bound: the writes must return while nobody reads.
        #expect(done.wait(timeout: .now() + 60) == .success, "writing lines waited for the pipe's reader")

        // The reader comes back: each kept line arrives whole and in order, and warnings count the others.
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var kept: [Substring] = []
        var dropped = 0
        var reads = pollfd(fd: reader, events: Int16(POLLIN), revents: 0)
        while kept.count + dropped < lines.count, poll(&reads, 1, 10_000) > 0 {
            let count = read(reader, &buffer, buffer.count)
            guard count > 0 else { break }
            received += buffer[..<count]
            let text = String(decoding: received, as: UTF8.self)
            let whole = text.split(separator: "\n", omittingEmptySubsequences: true).dropLast(text.hasSuffix("\n") ? 0 : 1)
            kept = whole.filter { !$0.hasPrefix("warning: ") }
            dropped = whole.filter { $0.hasPrefix("warning: ") }.reduce(0) { $0 + (Int($1.split(separator: " ")[1]) ?? 0) }
        }
        writer.flush()
        let expected = Set(lines.map { $0.dropLast() })
        #expect(kept.allSatisfy { expected.contains($0) }, "every kept line arrives whole")
        let order = kept.compactMap { Int($0.split(separator: " ").last ?? "") }
        #expect(order == order.sorted() && Set(order).count == order.count, "in order, once each")
        #expect(dropped > 0 && kept.count + dropped == lines.count, "\(kept.count) kept, \(dropped) dropped")
        let warnings = String(decoding: received, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("warning: ") }
        #expect(!warnings.isEmpty && warnings.allSatisfy { $0.hasSuffix(" log lines dropped: the log's reader took none for a while") })

        // Writing goes on as before once the reader reads.
        writer.write("after\n")
        writer.flush()
        let count = read(reader, &buffer, buffer.count)
        #expect(count > 0 && String(decoding: buffer[..<count], as: UTF8.self) == "after\n")
    }
}
