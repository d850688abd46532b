// LedgeVision
