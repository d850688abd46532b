#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
public import LedgeRelease

/// A release bundle as a device holds it, under a folder `ROOT` of the device:
/// content-addressed objects in `ROOT/store/sha256/HEX-MODE` (sent once, shared by every
/// release), and `ROOT/releases/ID/` assembled from them by hard links, with `run.sh`,
/// which starts `ledge serve` through the release's own dynamic loader and libraries — so
/// the device's own glibc (or its absence) does not matter.
public struct DeviceRelease: Sendable {
    /// One entry of the release folder.
    public enum Entry: Sendable, Hashable {
        case directory(path: String, mode: UInt32)
        /// A file: its object name in the store (`HEX-MODE`).
        case file(path: String, object: String)
        case symlink(path: String, target: String)
    }

    public let platform: ReleasePlatform
    /// The release id: the first 16 hex digits of a digest over every entry.
    public let id: String
    public let entries: [Entry]
    /// Object name (`HEX-MODE`) → where its bytes are on this machine, or the bytes themselves.
    public let objects: [String: ReleaseFile.Content]
    /// Sizes of the objects, by name.
    public let objectSizes: [String: Int]

    /// The release of `bundle`; reads every file once for its digest.
    public init(bundle: ReleaseBundle) throws {
        var entries: [Entry] = []
        var objects: [String: ReleaseFile.Content] = [:]
        var sizes: [String: Int] = [:]
        for file in bundle.files {
            switch file.content {
            case .directory:
                entries.append(.directory(path: file.path, mode: file.mode))
            case .symlink(let target):
                entries.append(.symlink(path: file.path, target: Self.relative(target, from: file.path)))
            case .bytes(let bytes):
                let name = ContentDigest.sha256(bytes) + "-" + String(file.mode, radix: 8)
                objects[name] = file.content
                sizes[name] = bytes.count
                entries.append(.file(path: file.path, object: name))
            case .file(let source):
                let (digest, size) = try ContentDigest.sha256(file: source)
                let name = digest + "-" + String(file.mode, radix: 8)
                objects[name] = file.content
                sizes[name] = size
                entries.append(.file(path: file.path, object: name))
            }
        }
        for (path, text) in [("ledge.sh", Self.launcher(bundle)), ("run.sh", Self.serveScript), ("supervise.sh", Self.superviseScript)] {
            let bytes = Array(text.utf8)
            let name = ContentDigest.sha256(bytes) + "-755"
            objects[name] = .bytes(bytes)
            sizes[name] = bytes.count
            entries.append(.file(path: path, object: name))
        }
        self.init(platform: bundle.platform, entries: entries, objects: objects, objectSizes: sizes)
    }

    private init(platform: ReleasePlatform, entries: [Entry], objects: [String: ReleaseFile.Content], objectSizes: [String: Int]) {
        let summary = entries.map { "\($0)" }.joined(separator: "\n")
        self.platform = platform
        self.id = String(ContentDigest.sha256(Array(summary.utf8)).prefix(16))
        self.entries = entries
        self.objects = objects
        self.objectSizes = objectSizes
    }

    /// Where `run.sh` finds a device's token, certificate and key (``DeviceSecrets``).
    static let tokenPath = "secrets/auth-token"
    static let certificatePath = "secrets/tls.crt"
    static let keyPath = "secrets/tls.key"
    static let clientCAPath = "secrets/client-ca.pem"

    /// This release with `secrets` in `secrets/` (a 0700 folder, 0600 files; objects whose mode
    /// is 600 are written under `umask 077` on the device): another id when they differ, the
    /// same release when there are none.
    public func securing(_ secrets: DeviceSecrets?) -> DeviceRelease {
        (secrets?.files ?? []).reduce(self) { release, file in release.adding(file.path, file.bytes, mode: "600") }
    }

    /// This release with more `ledge serve` arguments in `serve.args` (``ServeArguments``):
    /// another id when they differ, the same release when there are none.
    public func configuring(serveArguments arguments: [String]) -> DeviceRelease {
        arguments.isEmpty ? self : adding(ServeArguments.path, ServeArguments.file(arguments), mode: "644")
    }

    /// This release with `variables` in `secrets/serve.env` (0600, ``ServeEnvironment``), which
    /// `run.sh` exports: another id when they differ, the same release when there are none.
    public func configuring(serveEnvironment variables: [ServeEnvironment.Variable]) -> DeviceRelease {
        variables.isEmpty ? self : adding(ServeEnvironment.path, ServeEnvironment.file(variables), mode: "600")
    }

    /// This release with one more file of `bytes` (its folder `secrets/` added before the first
    /// file in it).
    private func adding(_ path: String, _ bytes: [UInt8], mode: String) -> DeviceRelease {
        let name = ContentDigest.sha256(bytes) + "-" + mode
        var objects = self.objects
        var sizes = objectSizes
        objects[name] = .bytes(bytes)
        sizes[name] = bytes.count
        let folder = Entry.directory(path: "secrets", mode: 0o700)
        let missing = path.hasPrefix("secrets/") && !entries.contains(folder)
        return DeviceRelease(
            platform: platform, entries: entries + (missing ? [folder] : []) + [.file(path: path, object: name)], objects: objects,
            objectSizes: sizes)
    }

    /// `ledge.sh`: runs this release's `ledge` with its arguments through the release's loader,
    /// with its libraries and runtimes (`ledge.sh bench -m …`, `ledge.sh serve …`).
    static func launcher(_ bundle: ReleaseBundle) -> String {
        let triplet = bundle.platform.triplet
        let loader = bundle.platform == .arm64 ? "lib/ld-linux-aarch64.so.1" : "lib64/ld-linux-x86-64.so.2"
        var lines = [
            "#!/bin/sh",
            "# A ledge release for \(bundle.platform), written by ledge deploy: runs its ledge with this",
            "# release's own loader, glibc and runtimes (nothing of the device's but the kernel).",
            "R=\"$(cd \"$(dirname \"$0\")\" && pwd -P)\"",
            "export LD_LIBRARY_PATH=\"$R/\(ReleaseBundle.libraryDirectory):$R/usr/lib/\(triplet):$R/lib/\(triplet)\"",
        ]
        for runtime in bundle.runtimes {
            let variable = runtime.kind == "onnxruntime" ? "LEDGE_ORT_LIBRARY" : "LEDGE_LITERT_LIBRARY"
            let name = runtime.library.split(separator: "/").last.map(String.init) ?? ""
            lines.append("export \(variable)=\"$R/\(ReleaseBundle.libraryDirectory)/\(name)\"")
        }
        // https clients verify against the device's roots where swift-nio-ssl looks for them; a device
        // without (a minimal image with no ca-certificates) gets this release's copy of Debian's.
        lines += [
            "[ -n \"${SSL_CERT_FILE:-}\" ] || [ -f /etc/ssl/certs/ca-certificates.crt ] || [ -f /etc/pki/tls/certs/ca-bundle.crt ] ||",
            "  export SSL_CERT_FILE=\"$R/\(ReleaseBundle.caCertificatesPath)\"",
        ]
        lines.append("exec \"$R/\(loader)\" \"$R/usr/bin/ledge\" \"$@\"")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `run.sh`: `ledge serve` of this release's models on `LEDGE_HOST:LEDGE_PORT` (default
    /// 0.0.0.0:8000) and gRPC on `LEDGE_GRPC_PORT` (default 8001), with `LEDGE_THREADS` threads
    /// per session when set; extra arguments pass on, then those in `serve.args` (one per line), with
    /// the variables of `secrets/serve.env` exported. A token, certificate and key in `secrets/`
    /// are passed as files (`--auth-token-file`, `--tls-cert`, `--tls-key`), and a client CA
    /// file asks clients for certificates (`--tls-client-ca`). Probe results, optimized ONNX
    /// graphs and XNNPACK's packed weights are kept in the device folder's `cache/`, shared by its releases (a service may
    /// have no home folder), so a restart or a release of the same model skips that work.
    static let serveScript = """
        #!/bin/sh
        R="$(cd "$(dirname "$0")" && pwd -P)"
        C="$(cd "$R/../.." && pwd -P)/cache"
        set -- --probe-cache "$C/probe" --onnx-cache "$C/onnx" --xnnpack-cache "$C/xnnpack" "$@"
        if [ -f "$R/\(tokenPath)" ]; then set -- --auth-token-file "$R/\(tokenPath)" "$@"; fi
        if [ -f "$R/\(certificatePath)" ]; then set -- --tls-cert "$R/\(certificatePath)" --tls-key "$R/\(keyPath)" "$@"; fi
        if [ -f "$R/\(clientCAPath)" ]; then set -- --tls-client-ca "$R/\(clientCAPath)" "$@"; fi
        if [ -f "$R/\(ServeArguments.path)" ]; then while IFS= read -r A; do set -- "$@" "$A"; done < "$R/\(ServeArguments.path)"; fi
        if [ -f "$R/\(ServeEnvironment.path)" ]; then while IFS= read -r V; do export "$V"; done < "$R/\(ServeEnvironment.path)"; fi
        exec "$R/ledge.sh" serve --model-repository "$R/models" --host "${LEDGE_HOST:-0.0.0.0}" --port "${LEDGE_PORT:-\(ReleaseBundle.port)}" --grpc-port "${LEDGE_GRPC_PORT:-\(ReleaseBundle.grpcPort)}" ${LEDGE_THREADS:+--threads "$LEDGE_THREADS"} "$@"

        """

    /// `supervise.sh PIDFILE [ARGS…]`: keeps `run.sh ARGS…` running where there is no systemd —
    /// writes its own pid to PIDFILE, starts the server again when it exits (after 1, 2, 4 … 30
    /// s; back to 1 s after a minute of running), and on SIGTERM/SIGINT passes the signal on,
    /// waits for the server to finish and exits.
    static let superviseScript = """
        #!/bin/sh
        R="$(cd "$(dirname "$0")" && pwd -P)"
        P="$1"; shift
        echo $$ > "$P"
        C=; STOP=; D=1
        trap 'STOP=1; [ -n "$C" ] && kill -TERM "$C" 2> /dev/null' TERM INT
        while [ -z "$STOP" ]; do
          T=$(date +%s)
          "$R/run.sh" "$@" & C=$!
          while :; do wait "$C"; E=$?; kill -0 "$C" 2> /dev/null || break; done
          C=
          [ -n "$STOP" ] && break
          echo "supervise.sh: ledge exited with status $E; starting it again in $D s" >&2
          sleep "$D" & W=$!; wait "$W"; kill "$W" 2> /dev/null
          if [ $(($(date +%s) - T)) -ge 60 ]; then D=1; elif [ "$D" -lt 30 ]; then D=$((D * 2)); fi
        done
        rm -f "$P"

        """

    /// A POSIX shell script that assembles `ROOT/releases/ID` from the objects in `ROOT/store`
    /// (hard links, so a release costs no space for files an earlier one has): built in
    /// `ID.partial`, checked, then renamed; an existing complete release is left as it is.
    public func assembleScript(root: String) -> String {
        let release = Self.quoted(root + "/releases/" + id)
        let store = Self.quoted(root + "/store/sha256")
        var lines = [
            "set -eu",
            "if [ -f \(release)/run.sh ]; then exit 0; fi",
            "T=\(release).partial",
            "rm -rf \"$T\"",
            "mkdir -p \"$T\"",
        ]
        for entry in entries {
            switch entry {
            case .directory(let path, let mode):
                lines.append("mkdir -p \"$T\"/\(Self.quoted(path)) && chmod \(String(mode, radix: 8)) \"$T\"/\(Self.quoted(path))")
            case .file(let path, let object):
                let parent = path.split(separator: "/").dropLast().joined(separator: "/")
                if !parent.isEmpty { lines.append("mkdir -p \"$T\"/\(Self.quoted(parent))") }
                lines.append("ln \(store)/\(object) \"$T\"/\(Self.quoted(path))")
            case .symlink(let path, let target):
                let parent = path.split(separator: "/").dropLast().joined(separator: "/")
                if !parent.isEmpty { lines.append("mkdir -p \"$T\"/\(Self.quoted(parent))") }
                lines.append("ln -s \(Self.quoted(target)) \"$T\"/\(Self.quoted(path))")
            }
        }
        lines.append("mv \"$T\" \(release)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// An absolute symlink target made relative to the link's folder, so it stays inside the
    /// release (`lib64/ld-linux-x86-64.so.2` → `../lib/x86_64-linux-gnu/…`, not the device's loader).
    static func relative(_ target: String, from path: String) -> String {
        guard target.hasPrefix("/") else { return target }
        let depth = path.split(separator: "/").count - 1
        return String(repeating: "../", count: depth) + String(target.drop { $0 == "/" })
    }

    /// `text` in single quotes for sh.
    static func quoted(_ text: String) -> String {
        "'" + text.replacing("'", with: "'\\''") + "'"
    }
}
