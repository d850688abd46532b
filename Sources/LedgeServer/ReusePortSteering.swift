#if canImport(Glibc)
internal import Glibc
#endif
internal import LedgeCore
internal import NIOCore

/// Sends every new connection on a shared (`SO_REUSEPORT`) port to the newest server.
///
/// Linux keeps the TCP sockets listening with `SO_REUSEPORT` on one address in a reuseport group,
/// numbered in the order they called `listen(2)`. Without a program it spreads new connections over
/// the group by a hash of their addresses, so while an old server and its replacement share the port
/// the old one keeps getting connections, and those still waiting in its accept queue when it closes
/// are reset. A classic BPF program attached to the group (`SO_ATTACH_REUSEPORT_CBPF`, socket(7))
/// returns the index of the socket to use instead; an index out of range falls back to the hash.
///
/// Ours returns 1: with an old server (index 0) and its replacement (index 1) every new connection
/// goes to the replacement; a server alone in the group (index 0) gets them all through the fallback;
/// when the old one closes, the kernel moves the last socket into its slot (index 0 again). The program
/// belongs to the group (sockets that join later inherit it), so each server attaches it as it starts
/// and it outlives the server that attached it. It assumes at most two servers share the port at once:
/// with a third, index 1 is the middle one.
enum ReusePortSteering {
    /// `BPF_RET | BPF_K` (linux/filter.h): return the constant `k`.
    private static let returnConstant: UInt16 = 0x06
    /// `SO_ATTACH_REUSEPORT_CBPF` (asm-generic/socket.h, Linux 4.5).
    private static let attachOption: Int32 = 51

    /// `struct sock_filter` (linux/filter.h): one classic BPF instruction.
    private struct Instruction {
        var code: UInt16
        var jumpTrue: UInt8
        var jumpFalse: UInt8
        var k: UInt32
    }

    /// `struct sock_fprog` (linux/filter.h). Sendable only because `attach` keeps `filter`
    /// alive until the option is set.
    private struct Program: @unchecked Sendable {
        var length: UInt16
        var filter: UnsafePointer<Instruction>
    }

    /// Attaches the program to the reuseport group of `channel`, a listening server channel bound with
    /// `SO_REUSEPORT`; throws `runtimeFailure` when the kernel refuses it.
    static func attach(to channel: any Channel) async throws {
        // The C layouts the kernel reads: 8-byte instructions, a program of a 16-bit count and a pointer.
        precondition(MemoryLayout<Instruction>.size == 8 && MemoryLayout<Program>.offset(of: \.filter) == 8)
        guard let provider = channel as? any SocketOptionProvider else {
            throw LedgeError(.runtimeFailure, "cannot steer new connections to this server: its channel has no socket options")
        }
        let instruction = UnsafeMutablePointer<Instruction>.allocate(capacity: 1)
        defer { instruction.deallocate() }
        instruction.initialize(to: Instruction(code: returnConstant, jumpTrue: 0, jumpFalse: 0, k: 1))
        do {
            try await provider.unsafeSetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(attachOption),
                value: Program(length: 1, filter: UnsafePointer(instruction))
            ).get()
        } catch {
            throw LedgeError(.runtimeFailure, "cannot steer new connections to this server: setsockopt(SO_ATTACH_REUSEPORT_CBPF): \(error)")
        }
    }
}
