// LedgeEngine
