// LedgeCLI
