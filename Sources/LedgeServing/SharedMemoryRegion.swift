#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif
internal import LedgeCore

/// A client's system shared memory region (Triton's shared-memory extension): `byteSize`
/// bytes from `offset` of the POSIX shared memory object `key`, which the client created.
///
/// The server reads and writes it with `pread`/`pwrite` on the object's descriptor, not
/// through a mapping: a client may shrink its object after registering it, and touching a
/// mapping past the object's end raises SIGBUS, which would end the server; a read past
/// the end is only short, and answered with an error. The copy costs what copying the bytes
/// into the tensor costs anyway. The descriptor is closed when the last request holding the
/// region ends (unregistering does not cut a request in flight).
public final class SharedMemoryRegion: Sendable {
    /// The name the client registered it under.
    public let name: String
    /// The shared memory object's name (`/input0`).
    public let key: String
    /// Where the region starts in the object, in bytes.
    public let offset: Int
    /// The region's size in bytes.
    public let byteSize: Int
    private let descriptor: Int32

    /// Opens `key` for reading and writing and checks that it is a shared memory object
    /// holding at least `offset + byteSize` bytes.
    init(name: String, key: String, offset: Int, byteSize: Int) throws {
        guard offset >= 0, byteSize >= 0 else {
            throw LedgeError.invalidInput(
                "shared memory region '\(name)': offset \(offset) and byte_size \(byteSize): expected sizes of 0 or more")
        }
        let end = offset.addingReportingOverflow(byteSize)
        guard !end.overflow else {
            throw LedgeError.invalidInput("shared memory region '\(name)': offset \(offset) + byte_size \(byteSize) overflows")
        }
        guard key.utf8.count <= 255 else {  // NAME_MAX; also keeps errors that quote the key short
            throw LedgeError.invalidInput("shared memory key is \(key.utf8.count) bytes long: expected at most 255")
        }
        guard !key.isEmpty, !key.utf8.contains(0), !key.dropFirst().contains("/") else {
            throw LedgeError.invalidInput(
                "shared memory key '\(key)' is not a POSIX shared memory name: expected '/name' (one leading slash, no other)")
        }
        let descriptor = shm_open(key, O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0)
        guard descriptor >= 0 else { throw Self.openError(key: key, errno: errno) }
        guard let status = PathName.status(descriptor: descriptor), status.regularFile else {
            close(descriptor)
            throw LedgeError.invalidInput("shared memory key '\(key)' is not a shared memory object")
        }
        guard Int(status.size) >= end.partialValue else {
            close(descriptor)
            throw LedgeError.invalidInput(
                "shared memory key '\(key)' holds \(status.size) bytes: region '\(name)' (offset \(offset) + byte_size \(byteSize)) runs past its end"
            )
        }
        self.name = name
        self.key = key
        self.offset = offset
        self.byteSize = byteSize
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    private static func openError(key: String, errno code: Int32) -> LedgeError {
        switch code {
        case ENOENT:
            return .invalidInput("shared memory key '\(key)' does not exist: expected an object the client created (shm_open)")
        case EACCES, EPERM:
            return .invalidInput("shared memory key '\(key)': the server may not read and write it (permission denied)")
        case EINVAL, ENAMETOOLONG:
            return .invalidInput("shared memory key '\(key)' is not a POSIX shared memory name: expected '/name' (one leading slash, no other)")
        default:
            return .invalidInput("shared memory key '\(key)' cannot be opened: \(String(cString: strerror(code)))")
        }
    }

    /// Fills `buffer` from `start` bytes into the region (checked by the caller to fit in it).
    func read(into buffer: UnsafeMutableRawBufferPointer, at start: Int) throws {
        try transfer(buffer.count, at: start) { done, position in pread(descriptor, buffer.baseAddress! + done, buffer.count - done, position) }
    }

    /// Writes `bytes` from `start` bytes into the region (checked by the caller to fit in it).
    func write(_ bytes: UnsafeRawBufferPointer, at start: Int) throws {
        try transfer(bytes.count, at: start) { done, position in pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, position) }
    }

    /// Moves `count` bytes at `start` with `call(done, position)` (a `pread` or `pwrite` of the rest), retrying
    /// partial and interrupted calls; a read that finds the end is the object having shrunk.
    private func transfer(_ count: Int, at start: Int, _ call: (_ done: Int, _ position: off_t) -> Int) throws {
        var done = 0
        while done < count {
            let moved = call(done, off_t(offset + start + done))
            if moved < 0, errno == EINTR { continue }
            guard moved > 0 else { throw shrunk(moved < 0 ? errno : 0, at: offset + start + done) }
            done += moved
        }
    }

    private func shrunk(_ code: Int32, at position: Int) -> LedgeError {
        code == 0
            ? .invalidInput("shared memory region '\(name)': key '\(key)' ends before byte \(position): the object shrank after it was registered")
            : .invalidInput("shared memory region '\(name)': key '\(key)' at byte \(position): \(String(cString: strerror(code)))")
    }
}
