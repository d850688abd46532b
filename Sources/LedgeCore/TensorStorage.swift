#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Raw bytes of a tensor, 64-byte aligned, owned by this object.
///
/// Storage is either allocated here (and freed in `deinit`) or adopted from a
/// runtime together with a function that releases it. Tensors share storage
/// and copy it before writing when it is shared (copy on write); the address
/// is visible only inside this package, so no caller writes past that check.
public final class TensorStorage: @unchecked Sendable {
    /// The alignment of storage allocated by Ledge, as runtimes want for zero-copy use.
    public static let alignment = 64

    /// The first byte.
    package let baseAddress: UnsafeMutableRawPointer
    /// The number of bytes.
    public let byteCount: Int
    private let release: (@Sendable (UnsafeMutableRawPointer) -> Void)?

    /// Allocates `byteCount` zeroed bytes aligned to ``alignment``.
    public init(byteCount: Int) {
        var pointer: UnsafeMutableRawPointer?
        let rc = posix_memalign(&pointer, Self.alignment, max(byteCount, 1))
        precondition(rc == 0 && pointer != nil, "out of memory allocating \(byteCount) bytes")
        memset(pointer!, 0, max(byteCount, 1))
        self.baseAddress = pointer!
        self.byteCount = byteCount
        self.release = nil
    }

    /// Adopts memory owned elsewhere; `release` is called once when the storage dies.
    public init(
        adopting pointer: UnsafeMutableRawPointer, byteCount: Int,
        release: @escaping @Sendable (UnsafeMutableRawPointer) -> Void
    ) {
        self.baseAddress = pointer
        self.byteCount = byteCount
        self.release = release
    }

    deinit {
        if let release { release(baseAddress) } else { free(baseAddress) }
    }

    /// A new storage holding a copy of these bytes.
    public func copy() -> TensorStorage {
        let other = TensorStorage(byteCount: byteCount)
        if byteCount > 0 { other.baseAddress.copyMemory(from: baseAddress, byteCount: byteCount) }
        return other
    }
}
