/// Finite-difference verification of gradients, for tests of ops, layers and networks.
public enum GradientCheck {
    /// How far the analytic gradient is from central differences.
    public struct Report: CustomStringConvertible {
        /// ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖) over all checked elements.
        public var relativeError: Double
        /// Largest |analytic − numeric| / (atol·scale + rtol·|numeric|) over elements (≤ 1
        /// passes), where scale = max(1, largest |numeric|): float32 rounding of f limits
        /// every difference quotient to about the same absolute precision.
        public var worstElementRatio: Double
        /// Where the worst element is: input index and flat element index.
        public var worstElement: (input: Int, index: Int, analytic: Float, numeric: Float)
        public var description: String {
            "relative error \(relativeError), worst element ratio \(worstElementRatio) at input \(worstElement.input)[\(worstElement.index)]: analytic \(worstElement.analytic) vs numeric \(worstElement.numeric)"
        }
        /// True when both the norm-wise and element-wise criteria hold.
        public func passes(relativeTolerance: Double = 2e-2) -> Bool {
            relativeError <= relativeTolerance && worstElementRatio <= 1
        }
    }

    /// Compares ∂f/∂inputs from `gradients(of:withRespectTo:)` with central differences
    /// (f(x + h) − f(x − h)) / 2h, element by element (up to `maxElements` per input,
    /// spread evenly). `f` must return a one-element tensor; it may itself take
    /// gradients with `createGraph: true` (second-order checks).
    public static func check(_ inputs: [Tensor], step h: Float = 1e-2, atol: Float = 5e-3,
                             rtol: Float = 2e-2, maxElements: Int = 64,
                             _ f: ([Tensor]) -> Tensor) -> Report {
        let leaves = inputs.map { $0.requiresGrad ? $0 : $0.requiringGrad() }
        let analytic = gradients(of: f(leaves), withRespectTo: leaves)
        var samples: [(input: Int, index: Int, analytic: Double, numeric: Double)] = []
        for (k, leaf) in leaves.enumerated() {
            let stride = max(1, leaf.count / maxElements)
            for i in Swift.stride(from: 0, to: leaf.count, by: stride) {
                let saved = leaf.data[i]
                leaf.data[i] = saved + h
                let plus = Double(f(leaves).item)
                leaf.data[i] = saved - h
                let minus = Double(f(leaves).item)
                leaf.data[i] = saved
                samples.append((k, i, Double(analytic[k].data[i]), (plus - minus) / (2 * Double(h))))
            }
        }
        let elementScale = max(1, samples.map { abs($0.numeric) }.max() ?? 0)
        var diff2 = 0.0, a2 = 0.0, n2 = 0.0, worst = 0.0
        var worstAt = (input: 0, index: 0, analytic: Float(0), numeric: Float(0))
        for s in samples {
            diff2 += (s.analytic - s.numeric) * (s.analytic - s.numeric)
            a2 += s.analytic * s.analytic
            n2 += s.numeric * s.numeric
            let ratio = abs(s.analytic - s.numeric) / (Double(atol) * elementScale + Double(rtol) * abs(s.numeric))
            if ratio > worst {
                worst = ratio
                worstAt = (s.input, s.index, Float(s.analytic), Float(s.numeric))
            }
        }
        let scale = max(a2.squareRoot(), n2.squareRoot(), 1e-12)
        return Report(relativeError: diff2.squareRoot() / scale, worstElementRatio: worst, worstElement: worstAt)
    }
}
