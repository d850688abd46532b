internal import Foundation
internal import LedgeCLI

// Thin: all work is in LedgeCLI, shared with the tests.
exit(LedgeMain.run(Array(CommandLine.arguments.dropFirst())))
