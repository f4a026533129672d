// Serve suite: one `/api/image` render of the bundled 64² model, stage by stage, as
// `Explorer.render` and the route do it (map, truncate, synthesis, conversion, PNG),
// at batch 1 and at batch 4; the synthesis with the weights live (recomputing what renders
// derive from them, as `generate` with one batch) and frozen (kept, as `serve`).
import Foundation
import StyleGANIO
import StyleGANModel
import StyleGANTensor

/// The bundled model, from the working directory (the repository root).
let bundledWeightsPath = "weights/faces64.safetensors"

func runServeSuite() {
    guard let model = try? ModelWeights.load(path: bundledWeightsPath), let g = model.samplingGenerator else {
        print("serve: \(bundledWeightsPath) not found (run from the repository root); skipped\n")
        return
    }
    let c = g.config
    print("serve: /api/image stages, \(c.resolution)² bundled model, ψ 0.7, constant noise (best of several, ms)")
    let tr = (psi: Float(0.7), cutoff: c.truncationCutoff)
    func z(_ seeds: [UInt32]) -> Tensor {
        Tensor(shape: [seeds.count, c.latentSize], values: seeds.flatMap { g.latent(seed: $0) })
    }
    var seed: UInt32 = 0
    func nextSeeds(_ n: Int) -> [UInt32] { defer { seed &+= UInt32(n) }; return (0..<n).map { seed &+ UInt32($0) } }

    let header = pad("stage", 34) + lpad("batch 1", 9) + lpad("batch 4 /img", 14)
    print(header)
    print(String(repeating: "-", count: header.count))
    func row(_ name: String, _ body: (Int) -> Void) {
        let one = bestTime(flops: 0) { body(1) }
        let four = bestTime(flops: 0) { body(4) } / 4
        print(pad(name, 34) + lpad(fmt(one * 1e3, 2), 9) + lpad(fmt(four * 1e3, 2), 14))
    }
    let w1 = withoutGradients { g.map(z([1])) }, w4 = withoutGradients { g.map(z([1, 2, 3, 4])) }
    let d1 = withoutGradients { g.dlatents(from: w1, psi: tr.psi, cutoff: tr.cutoff) }
    let d4 = withoutGradients { g.dlatents(from: w4, psi: tr.psi, cutoff: tr.cutoff) }
    let i1 = g.render(d1), i4 = g.render(d4)
    let images = ImageConversion.images(from: i1)
    row("latent z (NumPy RandomState)") { n in _ = z(nextSeeds(n)) }
    row("mapping network") { n in _ = withoutGradients { g.map(n == 1 ? z([1]) : z([1, 2, 3, 4])) } }
    row("truncation (dlatents)") { n in _ = withoutGradients { g.dlatents(from: n == 1 ? w1 : w4, psi: tr.psi, cutoff: tr.cutoff) } }
    row("synthesis (render), weights live") { n in _ = g.render(n == 1 ? d1 : d4) }
    g.freeze()   // as `serve` does: scaled weights and transformed filters kept
    row("synthesis (render), frozen") { n in _ = g.render(n == 1 ? d1 : d4) }
    row("tensor → RGBImage") { n in _ = ImageConversion.images(from: n == 1 ? i1 : i4) }
    row("PNG encode") { n in for _ in 0..<n { _ = try? PNG.encode(images[0]) } }
    row("whole render + PNG") { n in
        let images = withoutGradients { () -> [RGBImage] in
            let w = g.map(z(nextSeeds(n)))
            return ImageConversion.images(from: g.render(g.dlatents(from: w, psi: tr.psi, cutoff: tr.cutoff)))
        }
        for image in images { _ = try? PNG.encode(image) }
    }
    print("")
    runPNGEncodeRows(face: images[0])
    runSynthesisLayerRows(g)
}

/// `PNG.encode` at the sizes `stylegan generate` writes: the 64² face, the face scaled
/// up 16x by nearest neighbour (smooth, like a real 1024² face) and 1024² uniform noise
/// (incompressible: the worst case of time and size).
func runPNGEncodeRows(face: RGBImage) {
    print("serve: PNG encode by image (ms, best of several; output KB)")
    let header = pad("image", 34) + lpad("ms", 9) + lpad("KB", 9)
    print(header)
    print(String(repeating: "-", count: header.count))
    let side = 16 * face.width
    var smooth = RGBImage(width: side, height: side)
    var noise = RGBImage(width: side, height: side)
    var state: UInt64 = 1
    for c in 0..<3 {
        for y in 0..<side {
            for x in 0..<side {
                smooth[channel: c, y: y, x: x] = face[channel: c, y: y / 16, x: x / 16]
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                noise[channel: c, y: y, x: x] = Float(state >> 40) / Float(1 << 24)
            }
        }
    }
    for (name, image) in [("\(face.width)² face", face), ("\(side)² face (nearest x16)", smooth), ("\(side)² noise", noise)] {
        let bytes = (try? PNG.encode(image))?.count ?? 0
        let time = bestTime(flops: 0) { _ = try? PNG.encode(image) }
        print(pad(name, 34) + lpad(fmt(time * 1e3, 2), 9) + lpad(fmt(Double(bytes) / 1000, 1), 9))
    }
    print("")
}

/// Where a batch-1 synthesis pass goes: each op of each block at the model's shapes
/// (inference, as `SynthesisNetwork` runs them below 128 px; ms, best of several).
func runSynthesisLayerRows(_ g: Generator) {
    let c = g.config
    print("serve: synthesis ops at batch 1, inference kernels as a render runs them (ms)")
    let header = pad("block", 8) + ["upconv0", "blur", "epi0", "conv1", "epi1", "toRGB"].map { lpad($0, 9) }.joined()
    print(header)
    print(String(repeating: "-", count: header.count))
    func ms(_ body: () -> Void) -> String { lpad(fmt(bestTime(flops: 0, body) * 1e3, 2), 9) }
    let none = lpad("-", 9)
    var total = 0.0
    inferring {
        var x = Tensor.randomNormal([1, c.channels(atLog2Resolution: 2), 4, 4], seed: 1)
        for r in 2...c.log2Resolution {
            let ch = c.channels(atLog2Resolution: r), s = 1 << r
            let scale = Tensor.ones([1, ch]), shift = Tensor.zeros([1, ch]), noise = Tensor.randomNormal([1, 1, s, s], seed: 2)
            let strength = Tensor.zeros([ch]), bias = Tensor.zeros([ch])
            func epilogue(_ y: Tensor) -> Tensor {
                Fused.styleEpilogue(y, noise: noise, strength: strength, bias: bias, scale: scale, shift: shift, slope: 0.2, epsilon: 1e-8)
            }
            let scope = r == 2 ? "synthesis/4x4/Conv" : "synthesis/\(s)x\(s)/Conv1"
            var row = pad("\(s)²", 8)
            var y = x
            if r > 2 {
                let w0 = g.params["synthesis/\(s)x\(s)/Conv0_up/weight"], xin = x
                func upconv() -> Tensor {
                    StyleGANConfig.usesFusedScale(log2Resolution: r)
                        ? fusedUpsampleConv(xin, effectiveWeight: equalizedConvWeight(w0, gain: EqualizedLR.reluGain))
                        : equalizedUpsampledConv3x3(xin, weight: w0, gain: EqualizedLR.reluGain)
                }
                row += ms { _ = upconv() }
                y = upconv()
                let yu = y
                row += ms { _ = blur(yu) }
                y = blur(y)
            } else {
                row += none + none
            }
            let y0 = y
            row += ms { _ = epilogue(y0) }
            y = epilogue(y0)
            let y1 = y, w1 = g.params["\(scope)/weight"]
            row += ms { _ = equalizedConv2d(y1, weight: w1, gain: EqualizedLR.reluGain, padding: 1) }
            let y2 = equalizedConv2d(y1, weight: w1, gain: EqualizedLR.reluGain, padding: 1)
            row += ms { _ = epilogue(y2) }
            x = epilogue(y2)
            let xr = x
            let rgb = g.params["synthesis/ToRGB_lod\(c.log2Resolution - r)/weight"]
            row += r == c.log2Resolution ? ms { _ = equalizedConv2d(xr, weight: rgb, gain: 1, padding: 0) } : none
            print(row)
            total += row.split(separator: " ").dropFirst().compactMap { Double($0) }.reduce(0, +)
        }
    }
    print("sum of the ops above: \(fmt(total, 2)) ms (the rest of a render: style denses, slices, noise, bias)")
    print("")
}
