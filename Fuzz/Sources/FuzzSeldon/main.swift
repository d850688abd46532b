// FuzzSeldon: the body is LedgeFuzzing's FuzzTarget.seldon (its layout and invariants are documented
// there); `make test` replays Fuzz/Corpus/FuzzSeldon and Fuzz/Crashers/FuzzSeldon through the same body.
import CFuzzDriver
import Glibc
import LedgeFuzzing

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    do {
        try FuzzTarget.seldon.run(UnsafeRawBufferPointer(start: data, count: size))
    } catch {
        fatalError("\(error)")
    }
    return 0
}

exit(ledge_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { data, size in fuzz(data, size) })
