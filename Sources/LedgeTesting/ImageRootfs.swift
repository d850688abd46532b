public import Foundation

/// Thin wrapper over the `umoci` CLI (Debian's umoci 0.4.7), which reads and writes OCI image
/// layouts without a container engine. Failures throw ``CommandFailure`` with umoci's stderr.
public enum Umoci {
    /// Where Debian's umoci package installs the CLI.
    public static let executable = "/usr/bin/umoci"

    /// Runs `umoci ARGUMENTS` (e.g. `["init", "--layout", dir]`, `["new", "--image", "dir:tag"]`,
    /// `["insert", "--image", "dir:tag", file, "/path/in/image"]`) and returns its standard output.
    @discardableResult
    public static func run(_ arguments: [String]) async throws -> String {
        try Tool.require(executable, debianPackage: "umoci")
        return String(decoding: try await Tool.run(executable, arguments), as: UTF8.self)
    }
}

/// An image's root filesystem unpacked with `umoci unpack` into a temporary folder, for tests
/// that look inside an image or run its programs (see ``ChrootProcess``).
///
/// Unpacking runs as root (the tests do), so files keep the owners and modes the image gives
/// them. umoci makes an OCI runtime bundle: ``bundle``/`config.json` (the runtime config made from
/// the image config: entrypoint, env, user, …), ``bundle``/`rootfs`, and umoci's own
/// `umoci.json` and `*.mtree`. ``remove()`` (or the end of
/// ``withUnpacked(ociLayout:tag:isolation:_:)``) deletes it all, first unmounting anything left
/// mounted inside, never following a mount.
public final class ImageRootfs: @unchecked Sendable {
    /// The bundle folder umoci wrote (canonical path).
    public let bundle: String
    /// The root filesystem: ``bundle``/`rootfs` (canonical, as the kernel reports paths).
    public var path: String { bundle + "/rootfs" }

    private let parent: String
    private let lock = NSLock()
    private var removed = false

    private init(parent: String) {
        self.parent = parent
        self.bundle = parent + "/bundle"
    }

    deinit { remove() }

    /// `umoci unpack --image OCI_LAYOUT:TAG BUNDLE` into a new temporary folder.
    /// `ociLayout` is an OCI image layout folder (e.g. what `skopeo copy … oci:DIR:TAG` wrote).
    public static func unpack(ociLayout: String, tag: String) async throws -> ImageRootfs {
        let parent = try makeTemporaryDirectory(prefix: "ledge-rootfs")
        let rootfs = ImageRootfs(parent: parent)
        do {
            try await Umoci.run(["unpack", "--image", "\(ociLayout):\(tag)", rootfs.bundle])
            return rootfs
        } catch {
            rootfs.remove()
            throw error
        }
    }

    /// Runs `body` with the unpacked root filesystem and removes it afterwards, also when `body` throws.
    public static func withUnpacked<T>(
        ociLayout: String, tag: String, isolation: isolated (any Actor)? = #isolation, _ body: (ImageRootfs) async throws -> T
    ) async throws -> T {
        let rootfs = try await unpack(ociLayout: ociLayout, tag: tag)
        defer { rootfs.remove() }
        return try await body(rootfs)
    }

    /// The OCI runtime config umoci derived from the image config (`BUNDLE/config.json`).
    public func runtimeConfig() throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: bundle + "/config.json"))
    }

    /// Deletes the bundle and its temporary folder. Safe to call twice.
    public func remove() {
        let first = lock.withLock {
            defer { removed = true }
            return !removed
        }
        if first { removeTemporaryDirectory(parent) }
    }
}
