internal import LedgeCore
internal import Synchronization

/// Where a tensor lies in a registered region: the `shared_memory_region`,
/// `shared_memory_offset` and `shared_memory_byte_size` parameters of an input or output.
public struct SharedMemoryReference: Sendable, Hashable {
    public var region: String
    public var offset: Int
    public var byteSize: Int

    public init(region: String, offset: Int = 0, byteSize: Int) {
        self.region = region
        self.offset = offset
        self.byteSize = byteSize
    }

    /// The reference the three parameters of `tensor` (`input 'x'`) describe: `nil` when none is
    /// given; the region and the byte size go together (the offset is optional, 0 by default).
    public static func parameters(region: String?, byteSize: Int?, offset: Int?, of tensor: String) throws -> SharedMemoryReference? {
        guard let region else {
            if byteSize != nil || offset != nil {
                throw LedgeError.invalidInput(
                    "\(tensor): parameters.shared_memory_\(byteSize != nil ? "byte_size" : "offset") is given without parameters.shared_memory_region"
                )
            }
            return nil
        }
        guard let byteSize else {
            throw LedgeError.invalidInput("\(tensor): parameters.shared_memory_region '\(region)' needs parameters.shared_memory_byte_size")
        }
        let offset = offset ?? 0
        guard byteSize >= 0, offset >= 0 else {
            throw LedgeError.invalidInput(
                "\(tensor): parameters.shared_memory_\(byteSize < 0 ? "byte_size \(byteSize)" : "offset \(offset)"): expected 0 or more")
        }
        return SharedMemoryReference(region: region, offset: offset, byteSize: byteSize)
    }
}

/// A reference checked against its region: the region (held for the request) and the range in it.
public struct SharedMemorySlice: Sendable {
    public let region: SharedMemoryRegion
    public let offset: Int
    public let byteSize: Int

    /// The error for an output of `bytes` asked for in a slice of `byteSize`.
    static func tooSmall(output: String, bytes: Int, byteSize: Int) -> LedgeError {
        .invalidInput(
            "requested output '\(output)' holds \(bytes) bytes but its shared_memory_byte_size is \(byteSize): expected at least \(bytes)")
    }
}

/// The system shared memory regions clients registered (Triton's shared-memory extension),
/// by name. Registering is refused unless the server allows it (`--allow-client-shm`, off
/// by default as in Triton: a client that may register a key may read any shared memory
/// object the server's user can open).
public final class SharedMemoryRegistry: Sendable {
    /// The most regions held at once: each holds a descriptor.
    public static let maximumRegions = 128
    /// The longest region name registered (names are quoted in errors and status answers).
    public static let maximumNameBytes = 256
    /// Whether clients may register regions.
    public let allowed: Bool
    private let regions = Mutex<[String: SharedMemoryRegion]>([:])

    public init(allowed: Bool) { self.allowed = allowed }

    /// Why a CUDA shared memory region cannot be registered.
    public static let noCUDA = "CUDA shared memory is not supported: this server runs models on the CPU (use system shared memory)"

    /// A registry that refuses every region (a server without `--allow-client-shm`).
    public static let off = SharedMemoryRegistry(allowed: false)

    /// What the status call answers for one region.
    public struct Status: Sendable, Hashable {
        public var name: String
        public var key: String
        public var offset: Int
        public var byteSize: Int
    }

    private func checkAllowed() throws {
        guard allowed else {
            throw LedgeError.usage("client shared memory is off on this server: start ledge serve with --allow-client-shm to use it")
        }
    }

    /// Registers `byteSize` bytes from `offset` of the shared memory object `key` as `name`.
    public func register(name: String, key: String, offset: Int, byteSize: Int) throws {
        try checkAllowed()
        guard !name.isEmpty, name.utf8.count <= Self.maximumNameBytes else {
            throw LedgeError.invalidInput(
                "shared memory region name is \(name.utf8.count) bytes long: expected 1 to \(Self.maximumNameBytes)")
        }
        try check(free: name)
        let region = try SharedMemoryRegion(name: name, key: key, offset: offset, byteSize: byteSize)
        try regions.withLock { regions in
            // Checked again: another call may have taken the name while the object was opened.
            try check(free: name, in: regions)
            regions[name] = region
        }
    }

    private func check(free name: String) throws { try regions.withLock { try check(free: name, in: $0) } }

    private func check(free name: String, in regions: [String: SharedMemoryRegion]) throws {
        if let held = regions[name] {
            throw LedgeError.invalidInput("shared memory region '\(name)' is already registered (key '\(held.key)'): unregister it first")
        }
        guard regions.count < Self.maximumRegions else {
            throw LedgeError.invalidInput(
                "\(Self.maximumRegions) shared memory regions are registered, the most this server holds: unregister one first")
        }
    }

    /// Unregisters the region `name`, or every region when `name` is empty; a name that is not
    /// registered is no error (as in Triton: clients unregister what they may have registered).
    public func unregister(name: String) throws {
        try checkAllowed()
        regions.withLock { regions in
            if name.isEmpty { regions.removeAll() } else { regions[name] = nil }
        }
    }

    /// The region `name`, or every region (sorted by name) when `name` is empty.
    public func status(name: String) throws -> [Status] {
        try checkAllowed()
        let held = regions.withLock { regions in
            name.isEmpty ? regions.values.sorted { $0.name < $1.name } : regions[name].map { [$0] } ?? []
        }
        if !name.isEmpty, held.isEmpty { throw LedgeError.notFound("shared memory region '\(name)' is not registered") }
        return held.map { Status(name: $0.name, key: $0.key, offset: $0.offset, byteSize: $0.byteSize) }
    }

    /// The slice `reference` names for `tensor` (`input 'x'`), its range checked against its region.
    func slice(_ reference: SharedMemoryReference, for tensor: String) throws -> SharedMemorySlice {
        try checkAllowed()
        guard let region = regions.withLock({ $0[reference.region] }) else {
            throw LedgeError.invalidInput("\(tensor): shared memory region '\(reference.region)' is not registered")
        }
        let end = reference.offset.addingReportingOverflow(reference.byteSize)
        guard !end.overflow, end.partialValue <= region.byteSize else {
            throw LedgeError.invalidInput(
                "\(tensor): shared_memory_offset \(reference.offset) + shared_memory_byte_size \(reference.byteSize) runs past region '\(region.name)' of \(region.byteSize) bytes"
            )
        }
        return SharedMemorySlice(region: region, offset: reference.offset, byteSize: reference.byteSize)
    }
}
