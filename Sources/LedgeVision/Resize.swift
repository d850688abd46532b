internal import CLedgeImage
public import LedgeCore

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Resizing that reproduces Pillow's `Image.resize(size, filter)`: bilinear (Ledge's own
/// preprocessing), and the other filters a model's recipe may name (``ImageRecipe/Filter``).
///
/// The filter (bilinear's is a triangle) has a support that widens with the downscale
/// factor (so downscaling averages, i.e. antialiases). Weights are computed per
/// output column and row once, normalized to sum 1, and turned into 22-bit
/// fixed point; the image is resampled horizontally (only the rows the
/// vertical pass needs) and then vertically, rounding to 8 bits after each
/// pass, as Pillow does. The passes themselves are C (`CLedgeImage`), on the
/// CPU's vector unit.
public enum BilinearResizer {
    /// `image` resized to `size` with `filter` (returned unchanged when already that size).
    public static func resize(_ image: RGBImage, to size: ImageSize, filter: ImageRecipe.Filter = .bilinear) -> RGBImage {
        let outW = max(1, size.width), outH = max(1, size.height)
        if outW == image.width && outH == image.height { return image }
        if filter == .nearest { return nearest(image, outW, outH) }
        let horizontal = FilterTable(inputSize: image.width, outputSize: outW, filter: filter)
        let vertical = FilterTable(inputSize: image.height, outputSize: outH, filter: filter)

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

        init(inputSize: Int, outputSize: Int, filter: ImageRecipe.Filter = .bilinear) {
            let scale = Double(inputSize) / Double(outputSize)
            let filterScale = max(scale, 1.0)
            let support = filter.support * filterScale
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
                    rows[o * bound + k] = filter.weight((Double(k + lo) - center + 0.5) * reciprocal)
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

extension BilinearResizer {
    /// Pillow's `NEAREST` resize: output pixel `x` takes input pixel `⌊(x + 0.5) · in / out⌋`.
    static func nearest(_ image: RGBImage, _ outW: Int, _ outH: Int) -> RGBImage {
        let xScale = Double(image.width) / Double(outW), yScale = Double(image.height) / Double(outH)
        let columns = (0..<outW).map { min(image.width - 1, Int((Double($0) + 0.5) * xScale)) * 3 }
        var pixels = [UInt8](repeating: 0, count: outW * outH * 3)
        for y in 0..<outH {
            let row = min(image.height - 1, Int((Double(y) + 0.5) * yScale)) * image.width * 3
            for (x, column) in columns.enumerated() {
                for c in 0..<3 { pixels[(y * outW + x) * 3 + c] = image.pixels[row + column + c] }
            }
        }
        return RGBImage(unchecked: outW, outH, pixels)
    }
}

extension ImageRecipe.Filter {
    /// Half the width of the filter's kernel at scale 1, as Pillow's `ImagingFilter` gives it.
    var support: Double {
        switch self {
        case .nearest, .box: return 0.5
        case .bilinear, .hamming: return 1
        case .bicubic: return 2
        case .lanczos: return 3
        }
    }

    /// The kernel at `x`, as Pillow's `box_filter`, `bilinear_filter`, `hamming_filter`,
    /// `bicubic_filter` (a = -0.5) and `lanczos_filter` compute it.
    func weight(_ x: Double) -> Double {
        func sinc(_ x: Double) -> Double { x == 0 ? 1 : sin(x * .pi) / (x * .pi) }
        switch self {
        case .nearest, .box:
            return x > -0.5 && x <= 0.5 ? 1 : 0
        case .bilinear:
            let a = abs(x)
            return a < 1 ? 1 - a : 0
        case .hamming:
            let a = abs(x)
            if a == 0 { return 1 }
            if a >= 1 { return 0 }
            // Pillow writes the constants as C floats (0.54f, 0.46f).
            return sin(a * .pi) / (a * .pi) * (Double(Float(0.54)) + Double(Float(0.46)) * cos(a * .pi))
        case .bicubic:
            let a = abs(x), c = -0.5
            if a < 1 { return ((c + 2) * a - (c + 3)) * a * a + 1 }
            if a < 2 { return (((a - 5) * a + 8) * a - 4) * c }
            return 0
        case .lanczos:
            return -3 <= x && x < 3 ? sinc(x) * sinc(x / 3) : 0
        }
    }
}

extension RGBImage {
    /// This image resized to `size` like Pillow's `resize` with `filter` (bilinear by default).
    public func resized(to size: ImageSize, filter: ImageRecipe.Filter = .bilinear) -> RGBImage {
        BilinearResizer.resize(self, to: size, filter: filter)
    }

    /// The `size` region at the center, its top-left at `⌊(height − h) / 2⌋, ⌊(width − w) / 2⌋`
    /// (Hugging Face's `center_crop`); `nil` when the image is smaller than `size`.
    public func centerCropped(to size: ImageSize) -> RGBImage? {
        guard size.width <= width, size.height <= height else { return nil }
        if size == self.size { return self }
        let top = (height - size.height) / 2, left = (width - size.width) / 2
        var out = [UInt8]()
        out.reserveCapacity(size.width * size.height * 3)
        for y in top..<(top + size.height) {
            let start = (y * width + left) * 3
            out.append(contentsOf: pixels[start..<(start + size.width * 3)])
        }
        return RGBImage(unchecked: size.width, size.height, out)
    }
}
