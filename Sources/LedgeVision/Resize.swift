internal import CLedgeImage
public import LedgeCore
/// Bilinear resizing that reproduces Pillow's `Image.resize(size, Image.BILINEAR)`.
///
/// The filter is a triangle whose support widens with the downscale factor
/// (so downscaling averages, i.e. antialiases). Weights are computed per
/// output column and row once, normalized to sum 1, and turned into 22-bit
/// fixed point; the image is resampled horizontally (only the rows the
/// vertical pass needs) and then vertically, rounding to 8 bits after each
/// pass, as Pillow does. The passes themselves are C (`CLedgeImage`), on the
/// CPU's vector unit.
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

    static let precisionBits = Int(LEDGE_IMG_PRECISION)

    /// Weights of one axis: for each output index, the first input index,
    /// how many inputs it reads and their fixed-point weights (`taps` per
    /// output, the unused ones 0).
    struct FilterTable {
        var start: [Int32]
        var count: [Int32]
        var weights: [Int32]
        /// The most inputs any output reads.
        var taps: Int

        init(inputSize: Int, outputSize: Int) {
            let scale = Double(inputSize) / Double(outputSize)
            let filterScale = max(scale, 1.0)
            let support = 1.0 * filterScale  // the triangle's support is 1
            let bound = Int(support.rounded(.up)) * 2 + 1
            start = [Int32](repeating: 0, count: outputSize)
            count = [Int32](repeating: 0, count: outputSize)
            var rows = [Double](repeating: 0, count: outputSize * bound)
            let reciprocal = 1.0 / filterScale
            for o in 0..<outputSize {
                let center = (Double(o) + 0.5) * scale
                let lo = max(0, Int(center - support + 0.5))
                let hi = min(inputSize, Int(center + support + 0.5))
                let n = min(max(0, hi - lo), bound)
                var total = 0.0
                for k in 0..<n {
                    let x = abs((Double(k + lo) - center + 0.5) * reciprocal)
                    rows[o * bound + k] = x < 1 ? 1 - x : 0
                    total += rows[o * bound + k]
                }
                if total != 0 {
                    for k in 0..<n { rows[o * bound + k] /= total }
                }
                start[o] = Int32(lo)
                count[o] = Int32(n)
            }
            let taps = max(1, Int(count.max() ?? 1))
            let one = Double(1 << BilinearResizer.precisionBits)
            weights = [Int32](repeating: 0, count: outputSize * taps)
            for o in 0..<outputSize {
                for k in 0..<Int(count[o]) {
                    let w = rows[o * bound + k]
                    weights[o * taps + k] = Int32(w < 0 ? -0.5 + w * one : 0.5 + w * one)
                }
            }
            self.taps = taps
        }

        /// The first input index any output reads.
        var firstInput: Int { Int(start.first ?? 0) }
        /// One past the last input index any output reads.
        var lastInput: Int { Int((start.last ?? 0) + (count.last ?? 0)) }
    }

    static func horizontalPass(_ pixels: [UInt8], width: Int, rows: Range<Int>, table: FilterTable) -> [UInt8] {
        let outW = table.start.count
        var scratch = [UInt8](repeating: 0, count: 3 * (width + table.taps) + 4)
        return [UInt8](unsafeUninitializedCapacity: outW * rows.count * 3) { out, initialized in
            pixels.withUnsafeBufferPointer { src in
                scratch.withUnsafeMutableBufferPointer { scratch in
                    ledge_img_resample_horizontal(
                        src.baseAddress! + rows.lowerBound * width * 3, width, rows.count, out.baseAddress, outW,
                        table.start, table.weights, table.taps, scratch.baseAddress)
                }
            }
            initialized = outW * rows.count * 3
        }
    }

    static func verticalPass(_ pixels: [UInt8], width: Int, table: FilterTable, rowOffset: Int) -> [UInt8] {
        let outH = table.start.count, rowBytes = width * 3
        let starts = table.start.map { $0 - Int32(rowOffset) }
        return [UInt8](unsafeUninitializedCapacity: rowBytes * outH) { out, initialized in
            pixels.withUnsafeBufferPointer { src in
                ledge_img_resample_vertical(
                    src.baseAddress, rowBytes, out.baseAddress, outH, starts, table.count, table.weights, table.taps)
            }
            initialized = rowBytes * outH
        }
    }
}

extension RGBImage {
    /// This image resized to `size` like Pillow's bilinear `resize`.
    public func resized(to size: ImageSize) -> RGBImage {
        BilinearResizer.resize(self, to: size)
    }
}
