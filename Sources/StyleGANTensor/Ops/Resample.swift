import CKernels

/// A separable FIR resampling (upfirdn2d): per axis, upsample by zero insertion, pad,
/// convolve with the filter and keep every `down`-th sample. Negative pads crop.
public struct FIRResampling: Sendable, Equatable {
    public var upX = 1, upY = 1, downX = 1, downY = 1
    public var padX0 = 0, padX1 = 0, padY0 = 0, padY1 = 0
    /// Filter taps along x and along y (the 2-D filter is their outer product).
    public var filterX: [Float] = [1], filterY: [Float] = [1]

    public init(upX: Int = 1, upY: Int = 1, downX: Int = 1, downY: Int = 1,
                padX0: Int = 0, padX1: Int = 0, padY0: Int = 0, padY1: Int = 0,
                filterX: [Float] = [1], filterY: [Float] = [1]) {
        self.upX = upX; self.upY = upY; self.downX = downX; self.downY = downY
        self.padX0 = padX0; self.padX1 = padX1; self.padY0 = padY0; self.padY1 = padY1
        self.filterX = filterX; self.filterY = filterY
    }

    /// Nearest-neighbour 2× upsampling (pixel replication).
    public static let nearestUp2x = FIRResampling(upX: 2, upY: 2, padX0: 1, padY0: 1, filterX: [1, 1], filterY: [1, 1])
    /// 2× downsampling by 2×2 box averaging.
    public static let boxDown2x = FIRResampling(downX: 2, downY: 2, filterX: [0.5, 0.5], filterY: [0.5, 0.5])
    /// StyleGAN's blur: [1, 2, 1] ⊗ [1, 2, 1] / 16, zero padding, same size.
    public static let blur121 = FIRResampling(padX0: 1, padX1: 1, padY0: 1, padY1: 1,
                                              filterX: [0.25, 0.5, 0.25], filterY: [0.25, 0.5, 0.25])

    /// Output length along one axis.
    static func outputLength(_ n: Int, up: Int, down: Int, pad0: Int, pad1: Int, taps: Int) -> Int {
        (n * up + pad0 + pad1 - taps) / down + 1
    }

    /// The resampling whose matrix is the transpose of this one's for inputs of
    /// height h and width w (used for the gradient).
    func adjoint(height h: Int, width w: Int) -> FIRResampling {
        let ho = Self.outputLength(h, up: upY, down: downY, pad0: padY0, pad1: padY1, taps: filterY.count)
        let wo = Self.outputLength(w, up: upX, down: downX, pad0: padX0, pad1: padX1, taps: filterX.count)
        return FIRResampling(
            upX: downX, upY: downY, downX: upX, downY: upY,
            padX0: filterX.count - padX0 - 1, padX1: w * upX - wo * downX + padX0 - upX + 1,
            padY0: filterY.count - padY0 - 1, padY1: h * upY - ho * downY + padY0 - upY + 1,
            filterX: filterX.reversed(), filterY: filterY.reversed())
    }
}

/// Applies `r` to every [H, W] plane of x [..., H, W].
public func upfirdn2d(_ x: Tensor, _ r: FIRResampling) -> Tensor {
    precondition(x.rank >= 2, "upfirdn2d: input \(x.shape) needs at least 2 dimensions")
    let h = x.shape[x.rank - 2], w = x.shape[x.rank - 1]
    var s = ck_upfirdn_shape(planes: Int32(x.count / max(h * w, 1)), h: Int32(h), w: Int32(w),
                             upx: Int32(r.upX), upy: Int32(r.upY), downx: Int32(r.downX), downy: Int32(r.downY),
                             padx0: Int32(r.padX0), padx1: Int32(r.padX1), pady0: Int32(r.padY0), pady1: Int32(r.padY1),
                             fw: Int32(r.filterX.count), fh: Int32(r.filterY.count), ho: 0, wo: 0)
    ck_upfirdn2d_shape_finish(&s)
    precondition(s.ho > 0 && s.wo > 0, "upfirdn2d: input \(x.shape) resamples to an empty \(s.ho)x\(s.wo) output")
    let y = Tensor(uninitializedShape: Array(x.shape.dropLast(2)) + [Int(s.ho), Int(s.wo)])
    let ws = Workspace.pointer(floats: ck_upfirdn2d_workspace_floats(&s))
    ck_upfirdn2d(&s, x.data, r.filterX, r.filterY, y.data, ws)
    let back = r.adjoint(height: h, width: w)
    return recorded(y, op: "upfirdn2d", input: x) { g in upfirdn2d(g, back) }
}

/// Nearest-neighbour 2× upsampling of x [..., H, W] → [..., 2H, 2W].
public func upsampleNearest2x(_ x: Tensor) -> Tensor { upfirdn2d(x, .nearestUp2x) }

/// 2×2 box-average downsampling of x [..., H, W] → [..., H/2, W/2].
public func downsampleBox2x(_ x: Tensor) -> Tensor { upfirdn2d(x, .boxDown2x) }

/// StyleGAN's [1, 2, 1]² / 16 blur, same size.
public func blur(_ x: Tensor) -> Tensor { upfirdn2d(x, .blur121) }
