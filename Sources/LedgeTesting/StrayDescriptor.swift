public import Foundation

/// A descriptor of the test process opened *without* close-on-exec, for tests that a spawned
/// command inherits none of ours: ``shellCheck`` is a command that exits 0 exactly when the
/// descriptor is not open in the shell that runs it.
public final class StrayDescriptor: Sendable {
    /// The descriptor's number (200 or above, so that a shell's own descriptors cannot be it).
    public let number: Int32

    /// Opens /dev/null at the lowest free number from 200.
    public init() throws {
        let opened = open("/dev/null", O_RDONLY)
        guard opened >= 0 else { throw HarnessError("cannot open /dev/null: \(String(cString: strerror(errno)))") }
        defer { close(opened) }
        let moved = fcntl(opened, F_DUPFD, 200)  // F_DUPFD, not F_DUPFD_CLOEXEC: inheritable
        guard moved >= 0 else { throw HarnessError("cannot move a descriptor to 200: \(String(cString: strerror(errno)))") }
        number = moved
    }

    deinit { close(number) }

    /// `/bin/sh -c "test ! -e /proc/self/fd/N"`: status 0 when the shell did not inherit it, 1 when it did.
    public var shellCheck: [String] { ["/bin/sh", "-c", "test ! -e /proc/self/fd/\(number)"] }

    /// The same check for a descriptor the shell must have (its standard error): status 1, so
    /// that a passing ``shellCheck`` is not a shell that sees no descriptor at all.
    public static let inheritedCheck = ["/bin/sh", "-c", "test ! -e /proc/self/fd/2"]
}
