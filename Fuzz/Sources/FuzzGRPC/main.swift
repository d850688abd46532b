// FuzzGRPC: the body is LedgeFuzzing's FuzzTarget.grpc (its layout and invariants are documented
// there); `make test` replays Fuzz/Corpus/FuzzGRPC and Fuzz/Crashers/FuzzGRPC through the same body.
import CFuzzDriver
import Glibc
import LedgeFuzzing

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    do {
        try FuzzTarget.grpc.run(UnsafeRawBufferPointer(start: data, count: size))
    } catch {
        fatalError("\(error)")
    }
    return 0
}

exit(ledge_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { data, size in fuzz(data, size) })
