import Foundation
import LedgeCore
import LedgeTesting
import Testing

@testable import LedgeRelease

@Suite struct ELFAndPlatformTests {
    @Test func readsMachineInterpreterAndNeededOfRealFiles() throws {
        let ledge = try ELFFile(path: Fixtures.ledgeExecutable, what: "ledge")
        #expect(ledge.machine == .x86_64)
        #expect(ledge.interpreter == "/lib64/ld-linux-x86-64.so.2")
        #expect(ledge.needed.contains("libc.so.6"))
        #expect(ledge.needed.contains("libturbojpeg.so.0"))
        #expect(ledge.needed.contains("libyaml-0.so.2"))  // fleet files (LedgeDeploy's CYAML)
        let helper = try ELFFile(path: ReleaseFixtures.arm64Helper, what: "helper")
        #expect(helper.machine == .aarch64)
        #expect(helper.interpreter == "/lib/ld-linux-aarch64.so.1")
        let libc = try ELFFile(path: ReleaseFixtures.platforms + "/linux-arm64/root/lib/aarch64-linux-gnu/libc.so.6", what: "libc")
        #expect(libc.soname == "libc.so.6")
        #expect(libc.machine == .aarch64)
    }

    @Test func refusesWhatIsNotA64BitELF() throws {
        let notELF = try #require(throws: LedgeError.self) { try ELFFile(data: Data("#!/bin/sh\n".utf8), what: "binary 'x'") }
        #expect(notELF.message == "binary 'x' is not an ELF file")
        let elf32 = try #require(throws: LedgeError.self) {
            try ELFFile(data: Data([0x7F, 0x45, 0x4C, 0x46, 1, 1] + [UInt8](repeating: 0, count: 58)), what: "f")
        }
        #expect(elf32.message == "f is not a 64-bit little-endian ELF file")
        let real = try Data(contentsOf: URL(fileURLWithPath: ReleaseFixtures.arm64Helper))
        let truncated = try #require(throws: LedgeError.self) { try ELFFile(data: real.prefix(80), what: "f") }
        #expect(truncated.message == "f is a truncated or malformed ELF file")
    }

    @Test func platformsParseAndRefuseWithOneLine() throws {
        #expect(try ReleasePlatform(parsing: "linux/amd64") == .amd64)
        #expect(try ReleasePlatform(parsing: "linux/arm64/v8") == .arm64)
        #expect(try ReleasePlatform(parsing: "aarch64") == .arm64)
        let error = try #require(throws: LedgeError.self) { try ReleasePlatform(parsing: "linux/riscv64") }
        #expect(error.message == "platform 'linux/riscv64': expected linux/amd64 or linux/arm64")
        #expect(error.code == .usage)
    }

    @Test func timestampsAreRFC3339UTC() {
        #expect(RFC3339.format(0) == "1970-01-01T00:00:00Z")
        #expect(RFC3339.format(951_782_400) == "2000-02-29T00:00:00Z")
        #expect(RFC3339.format(1_796_190_905) == "2026-12-02T05:55:05Z")
    }

    /// The Swift packages recorded in the source are those Package.resolved pins.
    @Test func recordedDependenciesMatchPackageResolved() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.packageRoot + "/Package.resolved"))
        struct Resolved: Decodable {
            struct Pin: Decodable {
                struct State: Decodable { var version: String? }
                var identity: String
                var location: String
                var state: State
            }
            var pins: [Pin]
        }
        let pins = try JSONDecoder().decode(Resolved.self, from: data).pins
        // Compared by identity, version and purl name: a location may be written with or without
        // `.git`, whichever manifest named the package first in that resolution.
        func key(_ d: SwiftDependency) -> String { "\(d.name) \(d.version) \(d.purlName)" }
        let resolved = Set(pins.map { key(SwiftDependency(name: $0.identity, url: $0.location, version: $0.state.version ?? "")) })
        #expect(Set(LedgeVersion.dependencies.map(key)) == resolved)
    }
}
