#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif
internal import LedgeCLI

// Thin: all work is in LedgeCLI, shared with the tests.
let arguments = Array(CommandLine.arguments.dropFirst())  // before the environment changes
LedgeMain.prepareProcess()
exit(await LedgeMain.run(async: arguments))
