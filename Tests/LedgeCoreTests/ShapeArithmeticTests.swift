import LedgeCore
import Testing

/// The checked path from a declared shape to bytes (found by FuzzShape: a zero
/// after overflowing dimensions makes an empty tensor, not an overflow).
@Suite struct ShapeArithmeticTests {
    @Test func countsWithOverflowChecks() {
        #expect(ShapeArithmetic.elementCount([]) == 1)
        #expect(ShapeArithmetic.elementCount([2, 3, 4]) == 24)
        #expect(ShapeArithmetic.elementCount([4_611_686_018_427_387_905, 4]) == nil)
        #expect(ShapeArithmetic.elementCount([4_611_686_018_427_387_904, 4, 0]) == 0)
        #expect(ShapeArithmetic.elementCount([8_390_218_200_419_139_584, 105, 0, 0]) == 0)
        #expect(ShapeArithmetic.elementCount([3, -1]) == nil)
        #expect(ShapeArithmetic.byteCount([1 << 61, 4], dtype: .float32) == nil)
        #expect(ShapeArithmetic.byteCount([1 << 61, 2], dtype: .uint8) == 1 << 62)
        #expect(Tensor.elementCount([4_611_686_018_427_387_904, 4, 0]) == 0)
    }

    @Test func checkNamesTheInputAndWhatWasExpected() throws {
        #expect(try ShapeArithmetic.check(input: "x", shape: [0, 4], dtype: .float32, limit: 0) == (0, 0))
        #expect(try ShapeArithmetic.check(input: "x", shape: [2, 4], dtype: .float32, limit: 32) == (8, 32))
        func message(_ shape: [Int], limit: Int = .max) -> String? {
            do {
                _ = try ShapeArithmetic.check(input: "x", shape: shape, dtype: .float32, limit: limit)
                return nil
            } catch let error as LedgeError {
                #expect(error.code == .invalidInput)
                return error.message
            } catch {
                return "\(error)"
            }
        }
        #expect(message([1, -4]) == "input 'x': shape [1, -4] has a negative dimension: expected sizes of 0 or more")
        #expect(
            message([4_611_686_018_427_387_904, 4, 0])
                == "input 'x': shape [4611686018427387904, 4, 0] has dimension 0 of 4611686018427387904: expected at most 2147483647")
        #expect(
            message([1 << 40, 1 << 30])
                == "input 'x': shape [1099511627776, 1073741824] has more elements than a tensor can hold: the product of its dimensions overflows 64 bits"
        )
        #expect(message([2, 4], limit: 31) == "input 'x': shape [2, 4] of float32 needs 32 bytes, more than the request can carry (at most 31)")
    }
}
