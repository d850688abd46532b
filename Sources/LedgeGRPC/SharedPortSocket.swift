#if canImport(Glibc)
internal import Glibc
#endif
internal import LedgeCore
internal import NIOCore

/// A listening TCP socket bound with `SO_REUSEPORT`, for `ledge serve --reuse-port`: a replacement
/// server binds the gRPC port beside the one serving, as it does the HTTP port. grpc-swift's NIO
/// transport binds its own sockets without that option, so with `--reuse-port` the server makes the
/// socket here and hands the descriptor over. New connections go to the newest server: the same
/// classic BPF program as the HTTP port's (return index 1, see ``ReusePortSteering`` in LedgeServer).
enum SharedPortSocket {
    /// `SO_ATTACH_REUSEPORT_CBPF` (asm-generic/socket.h, Linux 4.5).
    private static let attachOption: Int32 = 51

    /// `struct sock_filter` (linux/filter.h).
    private struct Instruction {
        var code: UInt16
        var jumpTrue: UInt8
        var jumpFalse: UInt8
        var k: UInt32
    }

    /// `struct sock_fprog` (linux/filter.h).
    private struct Program {
        var length: UInt16
        var filter: UnsafePointer<Instruction>
    }

    /// A socket listening on `address` with `SO_REUSEADDR` and `SO_REUSEPORT`, steered to the newest
    /// server; the caller owns the descriptor. Throws `runtimeFailure` naming the failed call.
    static func listen(on address: NIOCore.SocketAddress, backlog: Int32 = 256) throws -> Int32 {
        let family = address.protocol == .inet6 ? AF_INET6 : AF_INET
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw failure("socket", address) }
        do {
            var on: Int32 = 1
            let size = socklen_t(MemoryLayout<Int32>.size)
            guard setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, size) == 0 else { throw failure("SO_REUSEADDR", address) }
            guard setsockopt(descriptor, SOL_SOCKET, SO_REUSEPORT, &on, size) == 0 else { throw failure("SO_REUSEPORT", address) }
            let bound = address.withSockAddr { pointer, length in bind(descriptor, pointer, socklen_t(length)) }
            guard bound == 0 else { throw failure("bind", address) }
            guard Glibc.listen(descriptor, backlog) == 0 else { throw failure("listen", address) }
            var instruction = Instruction(code: 0x06, jumpTrue: 0, jumpFalse: 0, k: 1)
            let attached = withUnsafePointer(to: &instruction) { filter in
                var program = Program(length: 1, filter: filter)
                return setsockopt(descriptor, SOL_SOCKET, attachOption, &program, socklen_t(MemoryLayout<Program>.size))
            }
            guard attached == 0 else { throw failure("SO_ATTACH_REUSEPORT_CBPF", address) }
            return descriptor
        } catch {
            close(descriptor)
            throw error
        }
    }

    private static func failure(_ call: String, _ address: NIOCore.SocketAddress) -> LedgeError {
        LedgeError(
            .runtimeFailure,
            "gRPC server: cannot listen on \(address.ipAddress ?? "?"):\(address.port ?? 0) (\(call): \(String(cString: strerror(errno))))")
    }
}
