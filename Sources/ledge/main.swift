internal import Foundation
internal import LedgeCLI

// Thin: all work is in LedgeCLI, shared with the tests.
exit(await LedgeMain.run(async: Array(CommandLine.arguments.dropFirst())))
