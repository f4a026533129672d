import CKernels
import XCTest


fileprivate struct Config {
    var planes, h, w, upx, upy, downx, downy, padx0, padx1, pady0, pady1: Int
    var fx: [Float], fy: [Float]

    var shape: ck_upfirdn_shape {
        var s = ck_upfirdn_shape(planes: Int32(planes), h: Int32(h), w: Int32(w), upx: Int32(upx), upy: Int32(upy),
                                 downx: Int32(downx), downy: Int32(downy), padx0: Int32(padx0), padx1: Int32(padx1),
                                 pady0: Int32(pady0), pady1: Int32(pady1), fw: Int32(fx.count), fh: Int32(fy.count),
                                 ho: 0, wo: 0)
        ck_upfirdn2d_shape_finish(&s)
        return s
    }

    /// The adjoint configuration: up/down swapped, filters flipped, pads per the transposed formula.
    var adjoint: Config {
        let s = shape
        func pads(len: Int, outLen: Int, up: Int, down: Int, pad0: Int, flen: Int) -> (Int, Int) {
            (flen - pad0 - 1, len * up - outLen * down + pad0 - up + 1)
        }
        let px = pads(len: w, outLen: Int(s.wo), up: upx, down: downx, pad0: padx0, flen: fx.count)
        let py = pads(len: h, outLen: Int(s.ho), up: upy, down: downy, pad0: pady0, flen: fy.count)
        return Config(planes: planes, h: Int(s.ho), w: Int(s.wo), upx: downx, upy: downy, downx: upx, downy: upy,
                      padx0: px.0, padx1: px.1, pady0: py.0, pady1: py.1,
                      fx: fx.reversed(), fy: fy.reversed())
    }
}

fileprivate func resample(_ c: Config, _ x: [Float], naive: Bool = false) -> [Float] {
    var s = c.shape
    var y = [Float](repeating: .nan, count: c.planes * Int(s.ho) * Int(s.wo))
    if naive {
        ck_upfirdn2d_naive(&s, x, c.fx, c.fy, &y)
    } else {
        // Every kernel level this machine runs; they must agree with each other (so every
        // check of the result below holds at every level), the current level's y is returned.
        let current = String(cString: ck_kernels_level_name(ck_kernels_level()))
        var first: [Float]?
        forEachKernelLevel { level in
            let size = Int(ck_upfirdn2d_workspace_floats(&s))
            var ws = [Float](repeating: .nan, count: size + 64)
            for i in size..<(size + 64) { ws[i] = 777 }
            var out = [Float](repeating: .nan, count: y.count)
            ck_upfirdn2d(&s, x, c.fx, c.fy, &out, &ws)
            XCTAssertTrue(ws[size...].allSatisfy { $0 == 777 }, "workspace overrun [\(level)] \(c)")
            if let first { XCTAssertLessThan(maxRelativeDifference(out, first), 1e-6, "[\(level)] vs the first level \(c)") }
            if first == nil { first = out }
            if level == current { y = out }
        }
    }
    return y
}



final class UpfirdnKernelTests: XCTestCase {
    private func randomConfigs(count: Int, rng: inout KernelTestRNG) -> [Config] {
        var out: [Config] = []
        while out.count < count {
            let fw = rng.int(1...4), fh = rng.int(1...4)
            var c = Config(planes: rng.int(1...3), h: rng.int(1...12), w: rng.int(1...40),
                           upx: rng.int(1...2), upy: rng.int(1...2), downx: rng.int(1...2), downy: rng.int(1...2),
                           padx0: rng.int(-1...3), padx1: rng.int(-1...3), pady0: rng.int(-1...3), pady1: rng.int(-1...3),
                           fx: rng.array(fw), fy: rng.array(fh))
            if rng.int(0...3) == 0 { c.upx = 4; c.padx0 = rng.int(0...4) }
            let lx = c.w * c.upx + c.padx0 + c.padx1, ly = c.h * c.upy + c.pady0 + c.pady1
            if lx < fw || ly < fh { continue }
            out.append(c)
        }
        return out
    }

    /// The StyleGAN configurations (which take the fast paths) with random filters and odd sizes.
    private func styleganConfigs(rng: inout KernelTestRNG) -> [Config] {
        var out: [Config] = []
        for (h, w) in [(4, 4), (7, 5), (1, 9), (16, 33)] {
            let planes = rng.int(1...4)
            out.append(Config(planes: planes, h: h, w: w, upx: 2, upy: 2, downx: 1, downy: 1,
                              padx0: 1, padx1: 0, pady0: 1, pady1: 0, fx: rng.array(2), fy: rng.array(2)))
            if h >= 2 && w >= 2 {
                out.append(Config(planes: planes, h: h, w: w, upx: 1, upy: 1, downx: 2, downy: 2,
                                  padx0: 0, padx1: 0, pady0: 0, pady1: 0, fx: rng.array(2), fy: rng.array(2)))
            }
            out.append(Config(planes: planes, h: h, w: w, upx: 1, upy: 1, downx: 1, downy: 1,
                              padx0: 1, padx1: 1, pady0: 1, pady1: 1, fx: rng.array(3), fy: rng.array(3)))
        }
        return out
    }

    func testFastMatchesNaive() {
        var rng = KernelTestRNG(seed: 11)
        for c in randomConfigs(count: 60, rng: &rng) + styleganConfigs(rng: &rng) {
            let x = rng.array(c.planes * c.h * c.w)
            let d = maxRelativeDifference(resample(c, x), resample(c, x, naive: true))
            XCTAssertLessThan(d, 1e-5, "\(c)")
        }
    }

    func testLargePlaneFastMatchesNaive() {
        var rng = KernelTestRNG(seed: 12)
        let c = Config(planes: 3, h: 67, w: 130, upx: 1, upy: 1, downx: 1, downy: 1,
                       padx0: 1, padx1: 1, pady0: 1, pady1: 1, fx: [0.25, 0.5, 0.25], fy: [0.25, 0.5, 0.25])
        let x = rng.array(c.planes * c.h * c.w)
        XCTAssertLessThan(maxRelativeDifference(resample(c, x), resample(c, x, naive: true)), 1e-5)
    }

    func testNearestUpsampleReplicates() {
        var rng = KernelTestRNG(seed: 13)
        let c = Config(planes: 2, h: 3, w: 5, upx: 2, upy: 2, downx: 1, downy: 1,
                       padx0: 1, padx1: 0, pady0: 1, pady1: 0, fx: [1, 1], fy: [1, 1])
        let x = rng.array(2 * 3 * 5)
        for y in [resample(c, x), resample(c, x, naive: true)] {
            XCTAssertEqual(y.count, 2 * 6 * 10)
            for p in 0..<2 { for i in 0..<6 { for j in 0..<10 {
                XCTAssertEqual(y[(p * 6 + i) * 10 + j], x[(p * 3 + i / 2) * 5 + j / 2])
            } } }
        }
    }

    func testBoxDownsampleAverages() {
        var rng = KernelTestRNG(seed: 14)
        let c = Config(planes: 2, h: 4, w: 6, upx: 1, upy: 1, downx: 2, downy: 2,
                       padx0: 0, padx1: 0, pady0: 0, pady1: 0, fx: [0.5, 0.5], fy: [0.5, 0.5])
        let x = rng.array(2 * 4 * 6)
        for y in [resample(c, x), resample(c, x, naive: true)] {
            XCTAssertEqual(y.count, 2 * 2 * 3)
            for p in 0..<2 { for i in 0..<2 { for j in 0..<3 {
                let r0 = (p * 4 + 2 * i) * 6 + 2 * j, r1 = r0 + 6
                let mean = (x[r0] + x[r0 + 1] + x[r1] + x[r1 + 1]) / 4
                XCTAssertEqual(y[(p * 2 + i) * 3 + j], mean, accuracy: 1e-6)
            } } }
        }
    }

    func testBlurKeepsConstantInterior() {
        let c = Config(planes: 1, h: 9, w: 11, upx: 1, upy: 1, downx: 1, downy: 1,
                       padx0: 1, padx1: 1, pady0: 1, pady1: 1, fx: [0.25, 0.5, 0.25], fy: [0.25, 0.5, 0.25])
        let x = [Float](repeating: 3, count: 9 * 11)
        for y in [resample(c, x), resample(c, x, naive: true)] {
            XCTAssertEqual(y.count, 9 * 11)
            for i in 1..<8 { for j in 1..<10 { XCTAssertEqual(y[i * 11 + j], 3, accuracy: 1e-6) } }
            XCTAssertEqual(y[0], 3 * 0.75 * 0.75, accuracy: 1e-6) // corner sees the zero padding
        }
    }

    func testAdjoint() {
        var rng = KernelTestRNG(seed: 15)
        for c in randomConfigs(count: 60, rng: &rng) + styleganConfigs(rng: &rng) {
            let a = c.adjoint
            let sa = a.shape
            XCTAssertEqual(Int(sa.ho), c.h, "\(c)")
            XCTAssertEqual(Int(sa.wo), c.w, "\(c)")
            let x = rng.array(c.planes * c.h * c.w)
            let ux = resample(c, x)
            let g = rng.array(ux.count)
            let ag = resample(a, g)
            let lhs = dot(ux, g), rhs = dot(x, ag)
            let scale = (dot(ux, ux) * dot(g, g)).squareRoot() + 1e-30
            XCTAssertLessThan(abs(lhs - rhs) / scale, 1e-5, "\(c): \(lhs) vs \(rhs)")
        }
    }
}
