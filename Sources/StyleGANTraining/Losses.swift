import StyleGANModel
import StyleGANTensor

/// StyleGAN's losses (reference §5.1).
public enum Losses {
    /// Non-saturating logistic generator loss: mean softplus(−D(G(z))).
    public static func generator(fakeScores: Tensor) -> Tensor {
        mean(softplus(-fakeScores))
    }

    /// The parts of the discriminator loss, for logging.
    public struct DiscriminatorTerms {
        /// mean softplus(D(fake)) + mean softplus(−D(real)).
        public var logistic: Tensor
        /// Mean over the batch of ‖∇ₓ D(x)‖² on reals (per-sample sum over C, H, W); nil on
        /// a step without the penalty (lazy R1).
        public var r1Penalty: Tensor?
        /// logistic + weight/2 · r1Penalty.
        public var total: Tensor
    }

    /// Logistic discriminator loss, plus the R1 penalty when `r1Weight` is given.
    ///
    /// R1 is computed with double backprop: ∇ₓ Σ D(x) is taken with `createGraph: true`, so
    /// `total`'s gradient with respect to D's weights includes the penalty's second-order
    /// term; `reals` must then require gradients. The gradient is of the raw score sum (not
    /// of the loss), as the official code (and unlike rosinality #34). `r1Weight` is γ on
    /// every step (v1), or γ·N on every N-th step (StyleGAN2's lazy regularisation).
    public static func discriminator(realScores: Tensor, fakeScores: Tensor, reals: Tensor, r1Weight: Float?) -> DiscriminatorTerms {
        let logistic = mean(softplus(fakeScores)) + mean(softplus(-realScores))
        guard let r1Weight else { return DiscriminatorTerms(logistic: logistic, r1Penalty: nil, total: logistic) }
        precondition(reals.requiresGrad, "R1 needs reals that require gradients")
        let gx = gradients(of: sum(realScores), withRespectTo: [reals], createGraph: true)[0]
        let penalty = sum(square(gx)) * (1 / Float(reals.shape[0]))
        return DiscriminatorTerms(logistic: logistic, r1Penalty: penalty, total: logistic + penalty * (r1Weight * 0.5))
    }
}
