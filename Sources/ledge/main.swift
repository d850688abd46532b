#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif
internal import LedgeCLI

// Thin: all work is in LedgeCLI, shared with the tests.
exit(await LedgeMain.run(async: Array(CommandLine.arguments.dropFirst())))
