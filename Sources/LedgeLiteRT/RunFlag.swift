internal import CLiteRT

/// A flag LiteRT reads between a compiled model's operators (its cancellation function), set
/// from another thread to stop the run under way (``LiteRTSession/interrupt(reason:)``).
///
/// Owned by the compiled model's handle (its `keeping` list), so the memory LiteRT reads
/// outlives the compiled model.
final class RunFlag: @unchecked Sendable {
    // @unchecked: the pointee is only read and written through C's atomic builtins.
    let pointer: UnsafeMutablePointer<Int32>

    init() {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: 0)
    }

    /// Sets the flag: the run under way stops at its next operator LiteRT itself runs.
    func raise() { ledge_litert_raise_flag(pointer) }

    deinit { pointer.deallocate() }
}
