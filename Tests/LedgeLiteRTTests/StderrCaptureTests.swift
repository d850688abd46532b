import CLiteRT
import Foundation
import Testing

/// The capture of TFLite's stderr lines: windows may overlap (models compile
/// at the same time), each gets the runtime lines written since it began.
@Suite struct StderrCaptureTests {
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func write(_ line: String) {
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Foundation.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    @Test func overlappingWindowsEachGetTheirLines() {
        let first = ledge_litert_stderr_quiet_begin()
        Self.write("INFO: first window's line\n")
        // A second window opens while the first is open (with one window at a time this would wait forever).
        let second = ledge_litert_stderr_quiet_begin()
        #expect(first >= 0 && second > first)
        Self.write("ERROR: second window's error\n")
        var lines = [CChar](repeating: 0, count: 4096)
        var detail = [CChar](repeating: 0, count: 256)
        ledge_litert_stderr_quiet_end(first, &lines, lines.count, nil, 0)
        let firstLines = Self.text(lines)
        #expect(firstLines.contains("INFO: first window's line\n"))
        #expect(firstLines.contains("ERROR: second window's error\n"))
        ledge_litert_stderr_quiet_end(second, &lines, lines.count, &detail, detail.count)
        #expect(!Self.text(lines).contains("INFO: first window's line"))
        #expect(Self.text(lines).contains("ERROR: second window's error\n"))
        #expect(Self.text(detail) == "second window's error")
    }

    @Test func aFailedBeginNeedsNoEnd() {
        var lines = [CChar](repeating: 1, count: 16)
        // -1 is what begin returns when it could not capture: end only clears the buffers.
        ledge_litert_stderr_quiet_end(-1, &lines, lines.count, nil, 0)
        #expect(lines[0] == 0)
    }
}
