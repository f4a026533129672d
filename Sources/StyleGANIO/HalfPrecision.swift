// Bit-level conversions between Float and the 16- and 8-bit float formats of
// safetensors. Written out by hand because Swift's Float16 is unavailable on
// macOS/x86_64 and there is no bfloat16 or float8 type at all.

/// Float32 -> IEEE 754 binary16 bits, round to nearest even; overflow gives +/-inf,
/// NaN stays NaN (quiet), values below half the smallest subnormal give +/-0.
@inline(__always)
func halfBits(from value: Float) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xFF)
    let mantissa = bits & 0x7F_FFFF
    if exponent == 0xFF {
        // inf or NaN; keep NaN payload's top bits and force it quiet.
        return mantissa == 0 ? sign | 0x7C00 : sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)
    }
    let halfExponent = exponent - 127 + 15
    if halfExponent >= 31 { return sign | 0x7C00 }
    if halfExponent <= 0 {
        // Result is subnormal (or zero): value / 2^-24, rounded to nearest even.
        if halfExponent < -10 { return sign }
        let full = mantissa | 0x80_0000
        let shift = UInt32(14 - halfExponent)
        var half = full >> shift
        let remainder = full & ((1 << shift) - 1)
        let halfway = UInt32(1) << (shift - 1)
        if remainder > halfway || (remainder == halfway && half & 1 == 1) { half += 1 }
        return sign | UInt16(truncatingIfNeeded: half)
    }
    var half = UInt32(halfExponent) << 10 | (mantissa >> 13)
    let remainder = mantissa & 0x1FFF
    // A carry out of the mantissa correctly bumps the exponent (up to inf).
    if remainder > 0x1000 || (remainder == 0x1000 && half & 1 == 1) { half += 1 }
    return sign | UInt16(truncatingIfNeeded: half)
}

/// IEEE 754 binary16 bits -> Float32 (exact).
@inline(__always)
func float(fromHalfBits bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = UInt32(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x3FF)
    if exponent == 0 {
        let magnitude = Float(mantissa) * 0x1p-24  // zero or subnormal, exact
        return sign == 0 ? magnitude : -magnitude
    }
    if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }
    return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
}

/// Float32 -> bfloat16 bits (the top half of a Float32), round to nearest even;
/// NaN stays NaN (quiet).
@inline(__always)
func bfloat16Bits(from value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
    let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
    return UInt16(truncatingIfNeeded: rounded >> 16)
}

/// bfloat16 bits -> Float32 (exact).
@inline(__always)
func float(fromBFloat16Bits bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}

/// float8 E5M2 (1 sign, 5 exponent, 2 mantissa bits; the top byte of a binary16) -> Float32.
@inline(__always)
func float(fromF8E5M2 byte: UInt8) -> Float {
    float(fromHalfBits: UInt16(byte) << 8)
}

/// float8 E4M3 "FN" (1 sign, 4 exponent bits with bias 7, 3 mantissa bits; no
/// infinities, S.1111.111 is NaN) -> Float32, as used by safetensors' F8_E4M3.
@inline(__always)
func float(fromF8E4M3 byte: UInt8) -> Float {
    let negative = byte & 0x80 != 0
    let exponent = Int((byte >> 3) & 0x0F)
    let mantissa = Float(byte & 0x07)
    let magnitude: Float
    if exponent == 0 {
        magnitude = mantissa * 0x1p-9
    } else if exponent == 15 && byte & 0x07 == 7 {
        return .nan
    } else {
        magnitude = (1 + mantissa / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
    }
    return negative ? -magnitude : magnitude
}
