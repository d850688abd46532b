import CLedgeProcess
import Foundation
import LedgeCore
import LedgeEngine
@testable import LedgeServing
import LedgeTesting
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ledge_drop_file_text_pages`, which the repository calls once a model's instances are open:
/// code pages come back as they run, and a mapping with a private copy of a page keeps it.
@Suite(.ownThread) struct CodePagesTests {
    /// A 2-page file of `byte`, mapped private read-write; `written` changes its first byte (a
    /// private copy), then the mapping becomes read + execute (`r-xp`, as code is mapped).
    static func mapping(in folder: String, byte: UInt8, written: UInt8?) throws -> UnsafeMutableRawPointer {
        let size = 2 * Int(sysconf(Int32(_SC_PAGESIZE)))
        let path = folder + "/pages-\(byte)"
        try Data(repeating: byte, count: size).write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_RDONLY)
        #expect(fd >= 0)
        defer { close(fd) }
        let pointer = try #require(mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0))
        #expect(pointer != MAP_FAILED)
        _ = pointer.load(as: UInt8.self)  // resident
        if let written { pointer.storeBytes(of: written, as: UInt8.self) }
        #expect(mprotect(pointer, size, PROT_READ | PROT_EXEC) == 0)
        return pointer
    }

    /// The resident kB of the mapping at `pointer`, from /proc/self/smaps.
    static func residentKB(_ pointer: UnsafeMutableRawPointer) throws -> Int {
        let address = UInt(bitPattern: pointer)
        let smaps = try ProcFile.text("/proc/self/smaps")
        var inside = false
        for line in smaps.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), let start = UInt(line[..<dash], radix: 16), line.contains(" ") {
                inside = start == address
            } else if inside, line.hasPrefix("Rss:") {
                return Int(line.split(separator: " ")[1]) ?? -1
            }
        }
        Issue.record("no mapping at \(String(address, radix: 16)) in \(smaps.split(separator: "\n").filter { $0.contains("pages-") })")
        return -1
    }

    @Test func cleanCodePagesAreUnmappedAndComeBackWrittenOnesStay() async throws {
        try await withTemporaryDirectory { folder in
            let clean = try Self.mapping(in: folder, byte: 7, written: nil)
            let copied = try Self.mapping(in: folder, byte: 9, written: 42)
            // Tests running beside this one drop every clean code page of the process as their
            // models' instances open: none does while this holds the lock the loads take to drop.
            try ModelVersionLoader.codePageDrops.withLock { (_: inout Void) throws(any Error) in
                // Resident once read.
                _ = UnsafeRawPointer(clean).load(as: UInt8.self)
                #expect(try Self.residentKB(clean) > 0)
                let dropped = ledge_drop_file_text_pages()
                #expect(dropped > 1 << 20, "the test binary's own code is over 1 MB: \(dropped)")
                // Unmapped, then read back from the file as it was.
                #expect(try Self.residentKB(clean) == 0)
                #expect(clean.load(as: UInt8.self) == 7)
                // The private copy is not dropped: dropping it would bring back the file's 9.
                #expect(try Self.residentKB(copied) > 0)
                #expect(copied.load(as: UInt8.self) == 42)
            }
            let size = 2 * Int(sysconf(Int32(_SC_PAGESIZE)))
            munmap(clean, size)
            munmap(copied, size)
        }
    }

    @Test func aModelRunsTheSameAfterItsCodeIsUnmapped() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let repository = try ModelRepository.load(
            .file(path: Fixtures.model("efficientnet_lite0.tflite"), name: "effnet"), options: RepositoryOptions(instances: 1), logger: logger)
        let model = try repository.model(named: "effnet")
        let photo = try #require(FileManager.default.contents(atPath: Fixtures.image("coffee.jpg")))
        let before = try await repository.classify(ImageUpload(data: photo, name: "coffee.jpg"), topK: 3, on: model)
        #expect(ModelVersionLoader.codePageDrops.withLock { _ in ledge_drop_file_text_pages() } > 0)
        let after = try await repository.classify(ImageUpload(data: photo, name: "coffee.jpg"), topK: 3, on: model)
        #expect(after.top.map(\.index) == before.top.map(\.index) && after.top.map(\.score) == before.top.map(\.score))
        #expect(after.top.first?.label == "espresso")
    }
}
