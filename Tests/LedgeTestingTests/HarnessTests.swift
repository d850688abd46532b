import Foundation
import LedgeTesting
import Testing

/// The package-test harness against the real tools: docker-registry, skopeo, umoci, chroot.
/// Each test makes its own registry, images and folders, so they may run in parallel.
@Suite(.ownThread) struct HarnessTests {
    @Test func registryCountsUploadsAndAWrongPasswordChangesNothing() async throws {
        try await withTemporaryDirectory { folder in
            let layout = try await TinyImage.make(in: folder)
            try await RegistryProcess.withRegistry { registry in
                let reference = "docker://\(registry.host)/x/y:t"
                #expect(try await registry.tags(repository: "x/y") == [])

                try await Skopeo.copy(from: "oci:\(layout):t", to: reference, credentials: registry.credentials)
                let uploads = await registry.blobUploadCount()
                #expect(uploads == 2, "one layer and the config; log:\n\(registry.log())")
                #expect(try await registry.tags(repository: "x/y") == ["t"])
                let requests = await registry.requests()
                #expect(requests.contains { $0.method == "PUT" && $0.path == "/v2/x/y/manifests/t" && $0.status == 201 })

                // The same push again finds every blob there (HEAD 200) and uploads none.
                try await Skopeo.copy(from: "oci:\(layout):t", to: reference, credentials: registry.credentials)
                #expect(await registry.blobUploadCount() == uploads)

                let wrong = RegistryCredentials(user: RegistryCredentials.test.user, password: "wrong")
                let failure = await #expect(throws: CommandFailure.self) {
                    try await Skopeo.copy(from: "oci:\(layout):t", to: "docker://\(registry.host)/x/y:t2", credentials: wrong)
                }
                #expect(failure?.stderr.contains("unauthorized") == true, "\(String(describing: failure))")
                #expect(try await registry.tags(repository: "x/y") == ["t"])
                #expect(await registry.blobUploadCount() == uploads)

                let raw = try await Skopeo.inspectRaw(reference: reference, credentials: registry.credentials)
                let manifest = try #require(try JSONSerialization.jsonObject(with: raw) as? [String: Any])
                #expect(manifest["schemaVersion"] as? Int == 2)
                #expect((manifest["layers"] as? [Any])?.count == 1)
                let config = try await Skopeo.inspectRaw(reference: reference, credentials: registry.credentials, config: true)
                #expect(String(decoding: config, as: UTF8.self).contains(#""architecture":"amd64""#))
            }
        }
    }

    @Test func registryWithoutAuthAndDockerArchive() async throws {
        try await withTemporaryDirectory { folder in
            let layout = try await TinyImage.make(in: folder)
            try await RegistryProcess.withRegistry(credentials: nil) { registry in
                #expect(registry.credentials == nil)
                try await Skopeo.copy(from: "oci:\(layout):t", to: "docker://\(registry.host)/a/b:1")
                #expect(try await registry.tags(repository: "a/b") == ["1"])
                #expect(await registry.blobUploadCount() == 2)
            }
            // What `ledge package --format docker-archive` will be checked with.
            try await Skopeo.copy(from: "oci:\(layout):t", to: "docker-archive:\(folder)/image.tar:x/y:t")
            let summary = try await Skopeo.inspectDockerArchive(path: folder + "/image.tar")
            #expect(summary.Architecture == "amd64")
            #expect(summary.Os == "linux")
            #expect(summary.Layers.count == 1)
            #expect(summary.Digest.hasPrefix("sha256:"))
        }
    }

    @Test func chrootProcessRunsTheImageProgramAsNonrootWithOnlyItsFiles() async throws {
        try await withTemporaryDirectory { folder in
            let layout = try await TinyImage.make(in: folder)
            // Through a registry and back, as the package tests will do.
            try await RegistryProcess.withRegistry { registry in
                let reference = "docker://\(registry.host)/x/probe:1"
                try await Skopeo.copy(from: "oci:\(layout):t", to: reference, credentials: registry.credentials)
                try await Skopeo.copy(from: reference, to: "oci:\(folder)/pulled:amd64", credentials: registry.credentials, overrideArch: "amd64")
            }
            var rootfsPath = ""
            try await ImageRootfs.withUnpacked(ociLayout: folder + "/pulled", tag: "amd64") { rootfs in
                rootfsPath = rootfs.path
                #expect(FileManager.default.fileExists(atPath: rootfs.bundle + "/config.json"))
                #expect(!FileManager.default.fileExists(atPath: rootfs.path + "/proc"))
                let environment = ["PATH": "/usr/bin", "LEDGE_PROBE": "1"]

                // Without /proc and /dev.
                try await ChrootProcess.withProcess(
                    rootfs: rootfs.path, command: ["/usr/bin/probe", "a b"], environment: environment, mountProc: false, mountDev: false
                ) { process in
                    #expect(await process.waitForOutput(containing: "ready\n", timeout: .seconds(10)), "stderr: \(process.stderr())")
                    let lines = process.stdout().split(separator: "\n").map(String.init)
                    #expect(lines.first == "uid=65532 gid=65532 groups=0")
                    #expect(lines.contains("exe=none"))  // no /proc inside
                    #expect(lines.contains("devnull=0"))
                    #expect(lines.contains("arg=a b"))
                    #expect(lines.filter { $0.hasPrefix("env:") }.sorted() == ["env:LEDGE_PROBE=1", "env:PATH=/usr/bin"])
                    let mapped = try process.mappedFiles()
                    #expect(mapped == [rootfs.path + "/usr/bin/probe"])
                    #expect(try process.mappedFilesOutsideRootfs() == [])
                    #expect(process.terminate() == ProcessExit(status: 0, signaled: false))
                    #expect(process.stdout().contains("terminated\n"))
                }

                // With /proc and /dev (the default), mounted in the child's own mount namespace only.
                try await ChrootProcess.withProcess(rootfs: rootfs.path, command: ["/usr/bin/probe"], environment: environment) { process in
                    #expect(await process.waitForOutput(containing: "ready\n", timeout: .seconds(10)), "stderr: \(process.stderr())")
                    let lines = process.stdout().split(separator: "\n").map(String.init)
                    #expect(lines.first == "uid=65532 gid=65532 groups=0")
                    #expect(lines.contains("exe=/usr/bin/probe"))
                    #expect(lines.contains("devnull=1"))
                    #expect(lines.filter { $0.hasPrefix("env:") }.sorted() == ["env:LEDGE_PROBE=1", "env:PATH=/usr/bin"])
                    #expect(MountTable.mountPoints(under: rootfs.path) == [])
                    let outside = try process.mappedFilesOutsideRootfs()
                    #expect(outside == [])
                }
                #expect(!FileManager.default.fileExists(atPath: rootfs.path + "/proc"))
                #expect(!FileManager.default.fileExists(atPath: rootfs.path + "/dev"))
                #expect(MountTable.mountPoints(under: rootfs.path) == [])
            }
            #expect(!rootfsPath.isEmpty && !FileManager.default.fileExists(atPath: rootfsPath))
        }
    }

    @Test func mappedFilesReadsAllOfALongMapsFile() throws {
        // The test process maps dozens of libraries: more than one read of /proc/PID/maps. Tests running
        // beside this one may map a library between awk's read and ours (libLiteRt.so did): a pair of
        // reads that differ is taken again, up to 5 times; a reader that drops lines differs every time.
        // awk's $6 stops at the first space: a mapped file deleted meanwhile (another test's model
        // copy, `PATH (deleted)`) is `PATH` to awk, so the reader's suffix is dropped before comparing.
        // One such mapping made here, so the case is always met.
        let deleted = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-maps-\(UUID().uuidString)").path
        #expect(FileManager.default.createFile(atPath: deleted, contents: Data(count: 4096)))
        let fd = open(deleted, O_RDONLY)
        let mapping = mmap(nil, 4096, PROT_READ, MAP_PRIVATE, fd, 0)
        close(fd)
        unlink(deleted)
        defer { munmap(mapping, 4096) }
        #expect(mapping != MAP_FAILED)
        var pairs: [(mapped: Set<String>, expected: Set<String>)] = []
        for _ in 0..<5 {
            let shell = try ProcessRunner.run("/bin/sh", ["-c", "awk '$6 ~ /^\\// { print $6 }' /proc/\(getpid())/maps"])
            let expected = Set(shell.stdout.split(separator: "\n").map(String.init))
            let mapped = try ChrootProcess.mappedFiles(pid: getpid()).map { $0.hasSuffix(" (deleted)") ? String($0.dropLast(10)) : $0 }
            pairs.append((Set(mapped), expected))
            if pairs.last!.mapped == expected { break }
        }
        let last = try #require(pairs.last)
        #expect(last.expected.count > 20)
        #expect(last.mapped == last.expected, "\(pairs.count) reads; the last differs by \(last.mapped.symmetricDifference(last.expected))")
        #expect(last.mapped.contains(deleted))
    }

    @Test func faultyRegistryFailsTheUploadHalfWayAndGetsNoManifest() async throws {
        try await withTemporaryDirectory { folder in
            let layout = try await TinyImage.make(in: folder, extraBytes: 1 << 20)
            try await FaultyRegistryProcess.withFaultyRegistry { registry in
                let failure = await #expect(throws: CommandFailure.self) {
                    try await Skopeo.copy(from: "oci:\(layout):t", to: "docker://\(registry.host)/x/y:t")
                }
                #expect(failure?.stderr.contains("500") == true, "\(String(describing: failure))")
                #expect(registry.requests().contains("POST /v2/x/y/blobs/uploads/"))
                let failed = registry.failedUploads()
                #expect(!failed.isEmpty, "log:\n\(registry.log())")
                // About half the body was read before the 500.
                for line in failed {
                    let bytes = Int(line.split(separator: " ").dropLast().last ?? "") ?? 0
                    #expect(bytes > 0, "\(line)")
                }
                #expect(registry.manifestPuts() == [])
            }
        }
    }
}

/// A tiny OCI image made with umoci: one layer holding `/usr/bin/probe`, a static C program
/// that prints its uid, gid, number of supplementary groups, `/proc/self/exe`, whether
/// `/dev/null` is writable, its arguments and environment, then `ready`, and waits; SIGTERM makes it print `terminated` and exit 0.
enum TinyImage {
    static let source = #"""
        #include <signal.h>
        #include <stdio.h>
        #include <string.h>
        #include <unistd.h>
        extern char **environ;
        static void on_term(int sig) { (void)sig; static const char m[] = "terminated\n"; write(1, m, sizeof m - 1); _exit(0); }
        int main(int argc, char **argv) {
            signal(SIGTERM, on_term);
            printf("uid=%d gid=%d groups=%d\n", (int)getuid(), (int)getgid(), getgroups(0, NULL));
            char exe[4096]; ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
            if (n < 0) strcpy(exe, "none"); else exe[n] = 0;
            printf("exe=%s\n", exe);
            printf("devnull=%d\n", access("/dev/null", W_OK) == 0);
            for (int i = 1; i < argc; i++) printf("arg=%s\n", argv[i]);
            for (char **e = environ; *e; e++) printf("env:%s\n", *e);
            printf("ready\n");
            fflush(stdout);
            for (;;) pause();
        }
        """#

    /// Builds the image in `folder` as the OCI layout `folder/layout`, tag `t`, and returns the
    /// layout's path. `extraBytes` adds a file of that many random bytes (a bigger layer).
    static func make(in folder: String, extraBytes: Int = 0) async throws -> String {
        try source.write(toFile: folder + "/probe.c", atomically: true, encoding: .utf8)
        let compiled = try await ProcessRunner.runOffExecutor("/usr/bin/gcc", ["-static", "-O1", "-o", folder + "/probe", folder + "/probe.c"])
        guard compiled.status == 0 else { throw HarnessError("gcc -static failed: \(compiled.stderr)") }
        let layout = folder + "/layout"
        try await Umoci.run(["init", "--layout", layout])
        try await Umoci.run(["new", "--image", layout + ":t"])
        try await Umoci.run(["insert", "--image", layout + ":t", folder + "/probe", "/usr/bin/probe"])
        if extraBytes > 0 {
            var generator = SeededGenerator(seed: 7)
            let bytes = (0..<extraBytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try Data(bytes).write(to: URL(fileURLWithPath: folder + "/random.bin"))
            try await Umoci.run(["insert", "--image", layout + ":t", folder + "/random.bin", "/random.bin"])
        }
        return layout
    }
}
