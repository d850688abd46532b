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
    /// The memory is a shared mapping of a file: pages not in use can leave the process and come back.
    private let mappedFromFile: Bool

    /// Allocates `byteCount` zeroed bytes aligned to ``alignment``.
    public init(byteCount: Int) {
        var pointer: UnsafeMutableRawPointer?
        let rc = posix_memalign(&pointer, Self.alignment, max(byteCount, 1))
        precondition(rc == 0 && pointer != nil, "out of memory allocating \(byteCount) bytes")
        memset(pointer!, 0, max(byteCount, 1))
        self.baseAddress = pointer!
        self.byteCount = byteCount
        self.release = nil
        self.mappedFromFile = false
    }

    /// Adopts memory owned elsewhere; `release` is called once when the storage dies.
    /// `mappedFromFile`: the memory is a shared mapping of a file (see ``dropResidentPages()``).
    public init(
        adopting pointer: UnsafeMutableRawPointer, byteCount: Int, mappedFromFile: Bool = false,
        release: @escaping @Sendable (UnsafeMutableRawPointer) -> Void
    ) {
        self.baseAddress = pointer
        self.byteCount = byteCount
        self.release = release
        self.mappedFromFile = mappedFromFile
    }

    /// For storage mapped from a file, takes its pages out of the process's resident memory
    /// (`MADV_DONTNEED`): they stay in the page cache, and a read brings a page back with its
    /// bytes (a minor fault). Nothing for memory allocated here, whose pages hold the only copy.
    package func dropResidentPages() {
        if mappedFromFile && byteCount > 0 { _ = madvise(baseAddress, byteCount, MADV_DONTNEED) }
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
