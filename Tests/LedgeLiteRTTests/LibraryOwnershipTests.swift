import CLiteRT
import Foundation
import LedgeCore
@testable import LedgeLiteRT
import LedgeTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The function table of a LiteRT library is owned by one object; a file that
/// is not LiteRT is closed again (checked on a private copy, a path no other
/// test loads, with `RTLD_NOLOAD`, which finds a library only while a handle
/// keeps it open). LeakTests runs failing loads under the LeakSanitizer.
@Suite struct LibraryOwnershipTests {
    /// `file` copied to a fresh temporary path.
    func privateCopy(of file: String, as name: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-lib-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: URL(fileURLWithPath: file).resolvingSymlinksInPath().path, toPath: folder + "/" + name)
        return folder + "/" + name
    }

    func isLoaded(_ path: String) -> Bool {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_NOLOAD) else { return false }
        dlclose(handle)
        return true
    }

    @Test func reloadingALibraryMapsItOnce() throws {
        // Each runtime owns (and frees) its function table; the mapping is shared by dlopen.
        let path = try Fixtures.runtimeLibrary(.litert)
        let first = try LiteRTLibrary(path: path)
        let second = try LiteRTLibrary(path: path)
        #expect(first.api != second.api)
        #expect(first.api.pointee.handle == second.api.pointee.handle)
    }

    @Test func aLibraryThatIsNotLiteRTIsClosedAgain() throws {
        let zlib = try #require(
            ["/usr/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/aarch64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1"]
                .first { FileManager.default.fileExists(atPath: $0) })
        let copy = try privateCopy(of: zlib, as: "libLiteRt.so")
        defer { try? FileManager.default.removeItem(atPath: (copy as NSString).deletingLastPathComponent) }
        do {
            _ = try LiteRTRuntime(libraryPath: copy)
            Issue.record("zlib loaded as LiteRT")
        } catch let error as LedgeError {
            #expect(error.code == .runtimeUnavailable)
            #expect(error.message.contains("not a LiteRT library (symbol LiteRtCreateEnvironment is missing)"))
        }
        #expect(!isLoaded(copy))
    }
}
