// LedgeLiteRT
