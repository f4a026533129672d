import Foundation
import StyleGANModel
import StyleGANTensor
import StyleGANTraining

/// Time per projection step (forward, backward to w and the noise maps, Adam) at 64² and
/// 1024² with official-config random weights, pixel loss alone and with D features.
func runProjectionSuite() {
    print("projection step (batch 1, official channels, W space; warm, median of 3 after 1)")
    let header = pad("resolution", 12) + lpad("pixels s", 10) + lpad("+D feat s", 11) + lpad("1000 steps", 12)
    print(header)
    print(String(repeating: "-", count: header.count))
    for resolution in [64, 1024] {
        BufferPool.drainShared()
        let config = StyleGANConfig.official(resolution: resolution)
        let g = Generator(config: config, seed: 1)
        let target = Tensor.randomNormal([1, 3, resolution, resolution], seed: 2, scale: 0.5)
        var options = ProjectionOptions()
        options.wStatisticsSamples = 1000
        func perStep(_ d: Discriminator?) -> Double {
            let p = Projector(generator: g, discriminator: d, target: target, options: options)
            p.step()
            var times: [Double] = []
            for _ in 0..<3 {
                let start = DispatchTime.now().uptimeNanoseconds
                p.step()
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return times.sorted()[1]
        }
        let pixels = perStep(nil)
        let withD = perStep(Discriminator(config: config, seed: 3))
        print(pad("\(resolution)x\(resolution)", 12) + lpad(fmt(pixels, 3), 10) + lpad(fmt(withD, 3), 11) + lpad(minutes(withD * 1000), 12))
    }
    print("")
}

private func minutes(_ seconds: Double) -> String { seconds >= 60 ? fmt(seconds / 60, 1) + " min" : fmt(seconds, 0) + " s" }
