import LedgeCLI
