import Foundation
import LedgeCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Outputs never destroy what was there before them: an atomic write goes through a symbolic
/// link and into a FIFO or device instead of replacing them, never over an input; a folder
/// output replaces only an earlier output of its kind.
@Suite struct OutputPlaceTests {
    static func folder() throws -> String {
        let dir = NSTemporaryDirectory() + "ledge-output-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func isFIFO(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO
    }

    @Test func atomicWritesFollowLinksAndStreamIntoFIFOs() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A symbolic link stays; the file it names gets the content (a dangling link's target is created).
        try "old".write(toFile: dir + "/target.json", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.json", withDestinationPath: "target.json")
        try AtomicFile.write("new", to: dir + "/link.json", option: "--output")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link.json") == "target.json")
        #expect(try String(contentsOfFile: dir + "/target.json", encoding: .utf8) == "new")
        try FileManager.default.createSymbolicLink(atPath: dir + "/dangling.json", withDestinationPath: dir + "/made.json")
        try AtomicFile.write("made", to: dir + "/dangling.json", option: "--output")
        #expect(try String(contentsOfFile: dir + "/made.json", encoding: .utf8) == "made")

        // A FIFO (as /dev/null, a device) is written into, not replaced.
        let fifo = dir + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        defer { close(reader) }
        try AtomicFile.write("through the pipe", to: fifo, option: "--output")
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(reader, &buffer, buffer.count)
        #expect(String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self) == "through the pipe")
        #expect(Self.isFIFO(fifo))

        #expect(throws: LedgeError.invalidInput("--output \(dir): is a folder: expected a file path")) {
            try AtomicFile.write("x", to: dir, option: "--output")
        }
    }

    @Test func anOutputIsNeverAnInput() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "model".write(toFile: dir + "/model.onnx", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/alias.onnx", withDestinationPath: "model.onnx")
        #expect(
            throws: LedgeError.invalidInput(
                "--output \(dir)/alias.onnx is the input \(dir)/model.onnx: writing it would destroy it; expected another path")
        ) {
            try AtomicFile.checkNotInput(dir + "/alias.onnx", inputs: [dir + "/model.onnx"], option: "--output")
        }
        try AtomicFile.checkNotInput(dir + "/report.json", inputs: [dir + "/model.onnx"], option: "--output")
    }

    @Test func aFolderOutputReplacesOnlyAnEarlierOne() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let layout = OutputPlace.Kind.folder { $0.contains("oci-layout") }
        let check = { (path: String, inputs: [String]) in
            try OutputPlace.check(path, layout, what: "OCI layout", option: "-o", inputs: inputs)
        }
        try check(dir + "/new", [])  // nothing there
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: false)
        try check(dir + "/empty", [])
        try FileManager.default.createDirectory(atPath: dir + "/earlier", withIntermediateDirectories: false)
        try "{}".write(toFile: dir + "/earlier/oci-layout", atomically: false, encoding: .utf8)
        try check(dir + "/earlier", [])

        try FileManager.default.createDirectory(atPath: dir + "/mine", withIntermediateDirectories: false)
        for name in ["a.txt", "b.txt", "c.txt", "d.txt"] { try "x".write(toFile: dir + "/mine/" + name, atomically: false, encoding: .utf8) }
        #expect(
            throws: LedgeError.usage(
                "-o \(dir)/mine: the folder holds other files (a.txt, b.txt, c.txt, …): expected a new path, an empty folder or an earlier OCI layout"
            )
        ) { try check(dir + "/mine", []) }
        #expect(throws: LedgeError.usage("-o \(dir)/mine/a.txt: is a file: expected a new path, an empty folder or an earlier OCI layout")) {
            try check(dir + "/mine/a.txt", [])
        }
        #expect(throws: LedgeError.usage("-o \(dir)/mine holds the input \(dir)/mine/a.txt: writing the OCI layout there would destroy it")) {
            try check(dir + "/mine", [dir + "/mine/a.txt"])
        }
        #expect(throws: LedgeError.usage("-o .: expected the path of a new OCI layout, not a folder above it")) { try check(".", []) }
        #expect(throws: LedgeError.usage("-o \(dir): is a folder: expected a file path for the image archive")) {
            try OutputPlace.check(dir, .file, what: "image archive", option: "-o", inputs: [])
        }
    }
}
