// LedgeONNX
