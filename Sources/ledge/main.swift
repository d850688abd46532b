internal import Foundation
internal import LedgeCLI

// Thin: all work is in LedgeCLI, shared with the tests.
setvbuf(stdout, nil, _IOLBF, 0)
exit(LedgeMain.run(Array(CommandLine.arguments.dropFirst())))
