internal import Synchronization

/// A flag one thread sets and another reads, for tests that wait on work running elsewhere.
public final class Flag: Sendable {
    private let atomic = Atomic<Bool>(false)

    public init() {}

    /// Whether ``set()`` was called.
    public var isSet: Bool { atomic.load(ordering: .acquiring) }

    /// Sets the flag.
    public func set() { atomic.store(true, ordering: .releasing) }
}
