#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
#if canImport(Glibc)
internal import Glibc
#endif
internal import LedgeBench
internal import LedgeCore
internal import Logging
internal import Synchronization

/// What `ledge serve` tells whoever started it, once the models are loaded and the server listens:
/// `--ready-file PATH` (written atomically: the process id and a newline) and, when `NOTIFY_SOCKET`
/// is set, systemd's notify protocol (`READY=1`, so a `Type=notify` unit works). When shutdown
/// begins, the file is removed (if it still holds this process id) and `STOPPING=1` is sent.
final class ServeReadiness: Sendable {
    private enum State { case starting, ready, stopping }

    private let readyFile: String?
    private let notifySocket: String?
    private let logger: Logger
    private let state = Mutex(State.starting)

    /// Checks the ready file's folder and removes the file (left by an earlier run, or by the server this one
    /// replaces if both were given the same path): from now on it exists only while this server is ready.
    init(readyFile: String?, notifySocket: String?, logger: Logger) throws {
        self.readyFile = readyFile
        self.notifySocket = notifySocket?.isEmpty == false ? notifySocket : nil
        self.logger = logger
        if let readyFile {
            try AtomicFile.checkDirectory(of: readyFile, option: "--ready-file")
            unlink(readyFile)
        }
    }

    private var line: String { "\(getpid())\n" }

    /// Signals readiness once (not after shutdown began); a failure is logged, not thrown: the server runs on.
    func ready() {
        let starting = state.withLock { state in
            guard state == .starting else { return false }
            state = .ready
            return true
        }
        guard starting else { return }
        if let readyFile {
            do {
                try AtomicFile.write(line, to: readyFile, option: "--ready-file")
            } catch {
                logger.error("\(error)")
            }
        }
        notify("READY=1\nMAINPID=\(getpid())")
    }

    /// Signals that shutdown began: only the first call after ``ready()`` does anything.
    func stopping() {
        let previous = state.withLock { state in
            defer { state = .stopping }
            return state
        }
        guard previous == .ready else { return }
        // Another server may have written its own id there since (the same path for two releases).
        if let readyFile, FileManager.default.contents(atPath: readyFile).map({ String(decoding: $0, as: UTF8.self) }) == line {
            unlink(readyFile)
        }
        notify("STOPPING=1")
    }

    private func notify(_ message: String) {
        guard let notifySocket else { return }
        do {
            try SystemdNotify.send(message, to: notifySocket)
        } catch {
            logger.warning("NOTIFY_SOCKET \(notifySocket): \(error)")
        }
    }
}

/// systemd's notify protocol (sd_notify(3)): one datagram of `KEY=VALUE` lines to an `AF_UNIX`
/// socket, named by a path or, with a leading `@`, in the abstract namespace.
enum SystemdNotify {
    static func send(_ message: String, to socketName: String) throws {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var name = Array(socketName.utf8)
        let abstract = name.first == UInt8(ascii: "@")
        if abstract { name[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard abstract || name.first == UInt8(ascii: "/"), name.count + (abstract ? 0 : 1) <= capacity else {
            throw LedgeError.invalidInput("expected an absolute path or '@' and an abstract name of at most \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: name) }
        // Abstract names are exactly as long as given; paths end with their NUL.
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + name.count + (abstract ? 0 : 1))
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw LedgeError.runtimeFailure("socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), address, length) }
            }
        }
        guard sent == bytes.count else { throw LedgeError.runtimeFailure("sendto: \(String(cString: strerror(errno)))") }
    }
}
