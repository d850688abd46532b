import Foundation
import LedgeCore
import Testing

/// The small replacements for full-Foundation API in the shipped binary print what Foundation printed.
@Suite struct FoundationFreeTextTests {
    @Test func cFormatPrintsWhatStringFormatPrints() {
        let values: [Double] = [
            0, -0.0, 1, -1, 0.5, 1.005, 2.675, 0.125, 12.345, 1234.5678, 99.995, 1e-7, 123_456_789.987, 1e21, -3.14159,
            .pi, .infinity, -.infinity, .nan, .greatestFiniteMagnitude, .leastNonzeroMagnitude,
        ]
        for format in ["%.0f", "%.1f", "%.2f", "%.3f", "%.5f", "%g", "%.3g", "%.2fms", "%.1fs"] {
            for value in values { #expect(cFormat(format, value) == String(format: format, value), "\(format) \(value)") }
        }
        let score: Float = 0.876543
        #expect(cFormat("%.5f", score) == String(format: "%.5f", score))
        for byte in [0, 1, 15, 16, 127, 128, 255] as [UInt8] { #expect(cFormat("%02x", byte) == String(format: "%02x", byte)) }
        let long = cFormat("%.60f", 1.0 / 3)
        #expect(long == String(format: "%.60f", 1.0 / 3) && long.count == 62)
    }

    @Test func trimmingMatchesFoundationCharacterSets() {
        // Every scalar either set holds, and neighbours, around text and alone.
        let scalars = (0...0x3001).compactMap(Unicode.Scalar.init) + ["\u{FEFF}", "\u{1F600}"]
        for s in scalars {
            for text in [String(s), "\(s)a\(s)", "a\(s)b", "\(s)\(s) x y \(s)"] {
                #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespaces), "U+\(String(s.value, radix: 16))")
                #expect(
                    text.trimmingWhitespaceAndNewlines() == text.trimmingCharacters(in: .whitespacesAndNewlines),
                    "U+\(String(s.value, radix: 16))")
            }
        }
        #expect(" a b "[...].trimmingWhitespace() == "a b")
        #expect("\r\n label \r\n".trimmingWhitespaceAndNewlines() == "label")
    }

    @Test func replacingScalarMatchesReplacingOccurrences() {
        for text in ["", "a|b", "||", "line\none", "crlf\r\nline", "say \"hi\"", "plain"] {
            for (target, replacement) in [("|", "\\|"), ("\n", " "), ("\"", "\"\"")] {
                #expect(
                    text.replacing(scalar: Unicode.Scalar(target)!, with: replacement)
                        == text.replacingOccurrences(of: target, with: replacement), "\(text)")
            }
        }
    }

    @Test func pathNameMatchesNSString() {
        // (Foundation traps on a relative one-component path given to deletingLastPathComponent.)
        for path in ["", "/", "//a//b//", "/a/b", "/a", "a/b/c/", "./x", "/a//b", "x/y", "/a/b/", "/usr/lib/x.so"] {
            #expect(PathName.deletingLastComponent(path) == (path as NSString).deletingLastPathComponent, "\(path)")
        }
        #expect(PathName.deletingLastComponent("ledge") == "")
        for directory in ["", "/", "a", "a/", "a//", "/a/b", ".", "~/x"] {
            for name in ["f.jpg", "", "/c", "c/"] {
                #expect(PathName.appending(name, to: directory) == (directory as NSString).appendingPathComponent(name))
            }
        }
        for name in ["a.jpg", ".jpg", "a..JPG", "a", "a.", "a.b.png", "a.tar.gz", "a. jpg", "..jpg", "dir/x.png", "d.d/x", "/"] {
            #expect(PathName.pathExtension(name) == (name as NSString).pathExtension, "\(name)")
        }
    }

    @Test func directoriesAndFiles() throws {
        let dir = NSTemporaryDirectory() + "ledge-pathname-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(FileManager.default.createFile(atPath: dir + "/f", contents: Data()))
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: dir)
        try FileManager.default.createSymbolicLink(atPath: dir + "/dangling", withDestinationPath: dir + "/nothing")
        #expect(PathName.isDirectory(dir) && PathName.isDirectory(dir + "/link"))
        #expect(!PathName.isDirectory(dir + "/f") && PathName.exists(dir + "/f"))
        #expect(!PathName.exists(dir + "/dangling") && !PathName.exists(dir + "/nothing"))
    }
}
