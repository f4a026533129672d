import Foundation
import XCTest
import StyleGANIO
@testable import StyleGANModel
@testable import StyleGANTensor
@testable import StyleGANTraining

/// One training step against an independent PyTorch float64 autograd implementation
/// (tools/make_training_reference.py): the D loss terms, R1 and grad_x D, the gradients of
/// both networks (R1's double backward included) and one Adam step.
final class TrainingReferenceTests: XCTestCase {
    private func fixture(_ name: String) throws -> String {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)?.path, "missing fixture \(name)")
    }

    private func assertNear(_ actual: [Float], _ expected: [Float], relative: Float, _ what: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        let scale = max(expected.map(abs).max() ?? 0, 1e-6)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst / scale, relative, "\(what): max diff \(worst) at scale \(scale)", file: file, line: line)
    }

    /// A parameter's gradient (run-time layout) in the file layout the fixture uses.
    private func fileLayout(_ t: Tensor, _ spec: ParameterSpec) -> [Float] {
        spec.fileLayout == .convHWIO ? withoutGradients { permute(t, [2, 3, 1, 0]).scalars } : t.scalars
    }

    func testOneStepMatchesTheReference() throws {
        let weights = try ModelWeights.load(path: try fixture("training8.weights.safetensors"))
        let io = try SafeTensorsFile.read(path: try fixture("training8.io.safetensors"))
        func tensor(_ name: String) throws -> Tensor {
            let t = try io.tensor(named: name)
            return Tensor(shape: t.shape, values: t.values)
        }
        func values(_ name: String) throws -> [Float] { try io.tensor(named: name).values }
        let g = try XCTUnwrap(weights.generator), d = try XCTUnwrap(weights.discriminator)
        let gamma = try XCTUnwrap(Float(io.metadata["gamma"] ?? ""))

        // Fakes (constant noise), then the D step: logistic + γ/2 · R1 on reals.
        let z = try tensor("z")
        let fakes = withoutGradients { g.synthesize(g.dlatents(from: g.map(z)), noise: .constant, lod: 0) }
        assertNear(fakes.scalars, try values("fakes"), relative: 1e-4, "fakes")
        let reals = try tensor("reals").requiringGrad()
        let realScores = d(reals), fakeScores = d(fakes)
        assertNear(realScores.scalars, try values("real_scores"), relative: 1e-4, "D(reals)")
        assertNear(fakeScores.scalars, try values("fake_scores"), relative: 1e-4, "D(fakes)")
        let gradX = gradients(of: sum(d(reals)), withRespectTo: [reals])[0]
        assertNear(gradX.scalars, try values("grad_reals"), relative: 1e-4, "grad_x D")
        let terms = Losses.discriminator(realScores: realScores, fakeScores: fakeScores, reals: reals, r1Weight: gamma)
        assertNear([terms.logistic.item], try values("loss_d_logistic"), relative: 1e-5, "D logistic loss")
        assertNear([try XCTUnwrap(terms.r1Penalty).item], try values("loss_d_r1"), relative: 1e-4, "R1 penalty")
        let gradD = gradients(of: terms.total, withRespectTo: d.params.tensors)
        for (spec, grad) in zip(d.params.specs, gradD) {
            assertNear(fileLayout(grad, spec), try values("gradD/\(spec.name)"), relative: 2e-4, "∂L_D/∂\(spec.name)")
        }

        // One Adam step on D from zero state, fed the reference gradients (the first step
        // is lr·g/(|g|+ε): a float32 gradient element near ε would flip it, so our own
        // gradients, already checked above, are not used here).
        let adam = Adam(count: d.params.count)
        let referenceGradD = try d.params.specs.map { spec -> Tensor in
            let t = try io.tensor(named: "gradD/\(spec.name)")
            let stored = Tensor(shape: t.shape, values: t.values)
            return spec.fileLayout == .convHWIO ? withoutGradients { permute(stored, [3, 2, 0, 1]) } : stored
        }
        adam.update(d.params, gradient: d.params.flatten(referenceGradD), learningRate: 0.001)
        for (spec, t) in zip(d.params.specs, d.params.tensors) {
            assertNear(fileLayout(t, spec), try values("adamD/\(spec.name)"), relative: 1e-5, "Adam step \(spec.name)")
        }

        // G step through the frozen D, whose weights are the ones before the Adam step.
        let original = try XCTUnwrap(ModelWeights.load(path: try fixture("training8.weights.safetensors")).discriminator)
        let images = g.synthesize(g.dlatents(from: g.map(z)), noise: .constant, lod: 0)
        let lossG = Losses.generator(fakeScores: original(images, params: original.params.frozen(), lod: 0))
        assertNear([lossG.item], try values("loss_g"), relative: 1e-5, "G loss")
        let gradG = gradients(of: lossG, withRespectTo: g.params.tensors)
        for (spec, grad) in zip(g.params.specs, gradG) {
            assertNear(fileLayout(grad, spec), try values("gradG/\(spec.name)"), relative: 2e-4, "∂L_G/∂\(spec.name)")
        }
    }

    /// The trainer's R1 weight: γ · 4^−⌊lod⌋ with the official scaling (the penalty of the
    /// official full-resolution formulation), γ at every lod without it, γ·N when lazy.
    func testR1WeightScalesWithTheLod() throws {
        let dir = try temporaryDirectory(self)
        try writeSyntheticDataset(dir, count: 4, size: 8)
        var o = tinyOptions(data: dir)
        o.r1Gamma = 8
        let official = try Trainer(options: o, dataset: try ImageDataset(directory: dir, resolution: 8))
        XCTAssertEqual(official.r1Weight(atLod: 0), 8)
        XCTAssertEqual(official.r1Weight(atLod: 0.5), 8)
        XCTAssertEqual(official.r1Weight(atLod: 1), 2)
        XCTAssertEqual(official.r1Weight(atLod: 1.7), 2)
        o.r1OfficialScaling = false
        o.r1Interval = 4
        let constant = try Trainer(options: o, dataset: try ImageDataset(directory: dir, resolution: 8))
        XCTAssertEqual(constant.r1Weight(atLod: 1), 32)
    }
}
