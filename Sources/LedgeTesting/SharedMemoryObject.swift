public import Foundation

/// A POSIX shared memory object as a client of Triton's shared-memory extension creates one,
/// under a name of its own; unlinked when released, so a test leaves none behind, passed or not.
public final class SharedMemoryObject: Sendable {
    /// Its name (`/ledge-test-…`), the key a client registers.
    public let key: String
    private let descriptor: Int32

    /// A new object of `size` zero bytes.
    public init(size: Int) throws {
        key = "/ledge-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        descriptor = shm_open(key, O_RDWR | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        // deinit closes and unlinks it when this throws: a class whose init throws still runs deinit.
        guard ftruncate(descriptor, off_t(size)) == 0 else { throw POSIXError(.EIO) }
    }

    deinit {
        guard descriptor >= 0 else { return }  // shm_open failed: the name is not ours
        close(descriptor)
        shm_unlink(key)
    }

    /// Writes `values` from byte `offset`.
    public func write(_ values: [Float], at offset: Int) {
        _ = values.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
    }

    /// `count` floats from byte `offset`.
    public func floats(_ count: Int, at offset: Int) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        _ = values.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
        return values
    }

    /// Shrinks (or grows) the object to `size` bytes, as a client may after registering it.
    public func truncate(to size: Int) { _ = ftruncate(descriptor, off_t(size)) }
}
