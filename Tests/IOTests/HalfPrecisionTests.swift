import XCTest
@testable import StyleGANIO

final class HalfPrecisionTests: XCTestCase {
    #if !(os(macOS) && arch(x86_64))
    /// Every binary16 bit pattern decodes exactly as Swift's Float16 does.
    func testHalfToFloatMatchesFloat16Exhaustively() {
        for bits in 0...UInt16.max {
            let reference = Float(Float16(bitPattern: bits))
            let ours = float(fromHalfBits: bits)
            if reference.isNaN {
                XCTAssertTrue(ours.isNaN, "bits \(bits)")
            } else {
                XCTAssertEqual(ours.bitPattern, reference.bitPattern, "bits \(String(bits, radix: 16))")
            }
        }
    }

    /// Float -> binary16 rounding matches Float16's (round to nearest even) on every
    /// half value, every midpoint between neighbours (the ties), values just either
    /// side of the midpoints, and overflow/underflow edges.
    func testFloatToHalfMatchesFloat16() {
        var inputs: [Float] = [0, -0, .infinity, -.infinity, 65504, 65519.99, 65520, 1e10, 1e-10, 0x1p-25,
                               0x1p-25 * 1.0001, 0x1p-24 * 1.5, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        for bits in UInt16(0)..<0x7C00 {
            let low = Float(Float16(bitPattern: bits))
            let high = Float(Float16(bitPattern: bits + 1))
            let mid = (low + high) / 2  // exact in Float
            inputs += [low, -low, mid, -mid, mid.nextUp, mid.nextDown]
        }
        var mismatches = 0
        for value in inputs {
            let ours = halfBits(from: value)
            let reference = Float16(value).bitPattern
            if ours != reference {
                mismatches += 1
                if mismatches < 5 { XCTFail("\(value): ours \(String(ours, radix: 16)), Float16 \(String(reference, radix: 16))") }
            }
        }
        XCTAssertEqual(mismatches, 0)
        XCTAssertTrue(float(fromHalfBits: halfBits(from: .nan)).isNaN)
    }
    #endif

    func testHalfKnownValues() {
        XCTAssertEqual(halfBits(from: 1), 0x3C00)
        XCTAssertEqual(halfBits(from: -2), 0xC000)
        XCTAssertEqual(halfBits(from: 65504), 0x7BFF)
        XCTAssertEqual(halfBits(from: 65520), 0x7C00)  // ties to even -> overflow to inf
        XCTAssertEqual(halfBits(from: 0x1p-24), 0x0001)
        XCTAssertEqual(halfBits(from: 0x1p-25), 0x0000)  // tie between 0 and 2^-24 -> even (0)
        XCTAssertEqual(float(fromHalfBits: 0x3555), 0.333251953125)
        XCTAssertEqual(float(fromHalfBits: 0x0001), 0x1p-24)
        XCTAssertEqual(float(fromHalfBits: 0xFC00), -.infinity)
        XCTAssertTrue(float(fromHalfBits: 0x7E00).isNaN)
    }

    func testBFloat16() {
        XCTAssertEqual(bfloat16Bits(from: 1), 0x3F80)
        XCTAssertEqual(bfloat16Bits(from: 1 + 0x1p-8), 0x3F80)  // tie -> even
        XCTAssertEqual(bfloat16Bits(from: 1 + 3 * 0x1p-8), 0x3F82)  // tie -> even (up)
        XCTAssertEqual(bfloat16Bits(from: 1 + 0x1p-8 + 0x1p-20), 0x3F81)
        XCTAssertEqual(bfloat16Bits(from: -.infinity), 0xFF80)
        XCTAssertEqual(bfloat16Bits(from: .greatestFiniteMagnitude), 0x7F80)  // rounds to inf
        XCTAssertTrue(float(fromBFloat16Bits: bfloat16Bits(from: .nan)).isNaN)
        XCTAssertTrue(float(fromBFloat16Bits: bfloat16Bits(from: Float(bitPattern: 0x7F80_0001))).isNaN,
                      "NaN with payload only in the low bits stays NaN")
        for bits in stride(from: UInt16(0), to: 0x7F80, by: 7) {
            XCTAssertEqual(bfloat16Bits(from: float(fromBFloat16Bits: bits)), bits)
        }
    }

    func testFloat8() {
        XCTAssertEqual(float(fromF8E5M2: 0x3C), 1)
        XCTAssertEqual(float(fromF8E5M2: 0x7B), 57344)
        XCTAssertEqual(float(fromF8E5M2: 0x01), 0x1p-16)
        XCTAssertEqual(float(fromF8E5M2: 0xFC), -.infinity)
        XCTAssertEqual(float(fromF8E4M3: 0x38), 1)
        XCTAssertEqual(float(fromF8E4M3: 0x7E), 448)
        XCTAssertEqual(float(fromF8E4M3: 0x08), 0x1p-6)
        XCTAssertEqual(float(fromF8E4M3: 0x07), 7 * 0x1p-9)
        XCTAssertEqual(float(fromF8E4M3: 0xC4), -3)
        XCTAssertTrue(float(fromF8E4M3: 0x7F).isNaN)
        XCTAssertTrue(float(fromF8E4M3: 0xFF).isNaN)
        XCTAssertEqual(float(fromF8E4M3: 0x78), 256)  // exponent 15 is finite in E4M3FN
    }
}
