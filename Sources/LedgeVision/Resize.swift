public import LedgeCore
/// Bilinear resizing that reproduces Pillow's `Image.resize(size, Image.BILINEAR)`.
///
/// The filter is a triangle whose support widens with the downscale factor
/// (so downscaling averages, i.e. antialiases). Weights are computed per
/// output column and row once, normalized to sum 1, and turned into 22-bit
/// fixed point; the image is resampled horizontally (only the rows the
/// vertical pass needs) and then vertically, rounding to 8 bits after each
/// pass, as Pillow does.
public enum BilinearResizer {
    /// `image` resized to `size` (returned unchanged when already that size).
    public static func resize(_ image: RGBImage, to size: ImageSize) -> RGBImage {
        let outW = max(1, size.width), outH = max(1, size.height)
        if outW == image.width && outH == image.height { return image }
        let horizontal = FilterTable(inputSize: image.width, outputSize: outW)
        let vertical = FilterTable(inputSize: image.height, outputSize: outH)

        var source = image.pixels, rowOffset = 0
        if outW != image.width {
            // Only the rows from the first to the last one the vertical pass reads.
            let first = vertical.firstInput, last = vertical.lastInput
            source = horizontalPass(image.pixels, width: image.width, rows: first..<last, table: horizontal)
            rowOffset = first
        }
        if outH != image.height {
            source = verticalPass(source, width: outW, table: vertical, rowOffset: rowOffset)
        }
        return RGBImage(unchecked: outW, outH, source)
    }

    static let precisionBits = 22

    /// Weights of one axis: for each output index, the first input index,
    /// how many inputs it reads and their fixed-point weights.
    struct FilterTable {
        var start: [Int]
        var count: [Int]
        var weights: [Int32]
        var stride: Int

        init(inputSize: Int, outputSize: Int) {
            let scale = Double(inputSize) / Double(outputSize)
            let filterScale = max(scale, 1.0)
            let support = 1.0 * filterScale  // the triangle's support is 1
            stride = Int(support.rounded(.up)) * 2 + 1
            start = [Int](repeating: 0, count: outputSize)
            count = [Int](repeating: 0, count: outputSize)
            weights = [Int32](repeating: 0, count: outputSize * stride)
            var row = [Double](repeating: 0, count: stride)
            let reciprocal = 1.0 / filterScale
            for o in 0..<outputSize {
                let center = (Double(o) + 0.5) * scale
                let lo = max(0, Int(center - support + 0.5))
                let hi = min(inputSize, Int(center + support + 0.5))
                let n = min(max(0, hi - lo), stride)
                var total = 0.0
                for k in 0..<n {
                    let x = abs((Double(k + lo) - center + 0.5) * reciprocal)
                    row[k] = x < 1 ? 1 - x : 0
                    total += row[k]
                }
                let one = Double(1 << BilinearResizer.precisionBits)
                for k in 0..<n {
                    let w = total != 0 ? row[k] / total : row[k]
                    weights[o * stride + k] = Int32(w < 0 ? -0.5 + w * one : 0.5 + w * one)
                }
                start[o] = lo
                count[o] = n
            }
        }

        /// The first input index any output reads.
        var firstInput: Int { start.first ?? 0 }
        /// One past the last input index any output reads.
        var lastInput: Int { (start.last ?? 0) + (count.last ?? 0) }
    }

    @inline(__always)
    static func clip8(_ value: Int32) -> UInt8 {
        if value >= Int32(1 << (precisionBits + 8)) { return 255 }
        if value <= 0 { return 0 }
        return UInt8(truncatingIfNeeded: value >> Int32(precisionBits))
    }

    static func horizontalPass(_ pixels: [UInt8], width: Int, rows: Range<Int>, table: FilterTable) -> [UInt8] {
        let outW = table.start.count, stride = table.stride, rowCount = rows.count
        var out = [UInt8](repeating: 0, count: outW * rowCount * 3)
        let half = Int32(1 << (precisionBits - 1))
        pixels.withUnsafeBufferPointer { srcBuffer in
            out.withUnsafeMutableBufferPointer { dstBuffer in
                table.weights.withUnsafeBufferPointer { kBuffer in
                    table.start.withUnsafeBufferPointer { startBuffer in
                        table.count.withUnsafeBufferPointer { countBuffer in
                            guard let src = srcBuffer.baseAddress, let dst = dstBuffer.baseAddress, let kk = kBuffer.baseAddress,
                                let starts = startBuffer.baseAddress, let counts = countBuffer.baseAddress
                            else { return }
                            var y = rows.lowerBound
                            var outRow = dst
                            while y < rows.upperBound {
                                let inRow = src + y * width * 3
                                var d = outRow
                                for x in 0..<outW {
                                    var p = inRow + starts[x] * 3
                                    var w = kk + x * stride
                                    var s0 = half, s1 = half, s2 = half
                                    for _ in 0..<counts[x] {
                                        let wt = w.pointee
                                        s0 &+= Int32(p[0]) &* wt
                                        s1 &+= Int32(p[1]) &* wt
                                        s2 &+= Int32(p[2]) &* wt
                                        p += 3
                                        w += 1
                                    }
                                    d[0] = clip8(s0)
                                    d[1] = clip8(s1)
                                    d[2] = clip8(s2)
                                    d += 3
                                }
                                outRow += outW * 3
                                y += 1
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    static func verticalPass(_ pixels: [UInt8], width: Int, table: FilterTable, rowOffset: Int) -> [UInt8] {
        let outH = table.start.count, rowBytes = width * 3, stride = table.stride
        var out = [UInt8](repeating: 0, count: rowBytes * outH)
        let half = Int32(1 << (precisionBits - 1))
        var acc = [Int32](repeating: 0, count: rowBytes)
        pixels.withUnsafeBufferPointer { srcBuffer in
            out.withUnsafeMutableBufferPointer { dstBuffer in
                acc.withUnsafeMutableBufferPointer { accBuffer in
                    table.weights.withUnsafeBufferPointer { kBuffer in
                        guard let src = srcBuffer.baseAddress, let dst = dstBuffer.baseAddress, let kk = kBuffer.baseAddress,
                            let sums = accBuffer.baseAddress
                        else { return }
                        for y in 0..<outH {
                            let lo = table.start[y] - rowOffset, n = table.count[y]
                            for i in 0..<rowBytes { sums[i] = half }
                            // Row by row: contiguous reads the compiler can vectorize.
                            for j in 0..<n {
                                let w = kk[y * stride + j]
                                let row = src + (lo + j) * rowBytes
                                for i in 0..<rowBytes { sums[i] &+= Int32(row[i]) &* w }
                            }
                            let d = dst + y * rowBytes
                            for i in 0..<rowBytes { d[i] = clip8(sums[i]) }
                        }
                    }
                }
            }
        }
        return out
    }
}

extension RGBImage {
    /// This image resized to `size` like Pillow's bilinear `resize`.
    public func resized(to size: ImageSize) -> RGBImage {
        BilinearResizer.resize(self, to: size)
    }
}
