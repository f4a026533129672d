/// How a tensor was computed: the op's inputs and its backward rule.
///
/// `backward` maps the gradient of the op's output, and which inputs need a gradient in
/// this pass, to one gradient per input (nil where none is needed). Rules are written
/// with ordinary differentiable ops, so running them while recording builds the graph
/// of the gradient itself (double backward).
final class GradNode {
    let op: String
    let inputs: [Tensor]
    let backward: (Tensor, [Bool]) -> [Tensor?]

    init(op: String, inputs: [Tensor], backward: @escaping (Tensor, [Bool]) -> [Tensor?]) {
        self.op = op
        self.inputs = inputs
        self.backward = backward
    }
}

/// Attaches a backward rule to `output` when recording and some input requires grad.
/// Backward closures capture inputs only (never `output`), so no reference cycle forms.
/// The rule receives which inputs need a gradient in the current pass and should skip
/// the others (a gradient nobody asked for can cost as much as a forward pass).
@inline(__always)
func recorded(_ output: Tensor, op: String, inputs: [Tensor],
              backward: @escaping (Tensor, [Bool]) -> [Tensor?]) -> Tensor {
    if GradMode.isEnabled && inputs.contains(where: { $0.requiresGrad }) {
        output.requiresGrad = true
        output.gradNode = GradNode(op: op, inputs: inputs, backward: backward)
    }
    return output
}

/// Single-input form: the rule only runs when its input needs a gradient.
@inline(__always)
func recorded(_ output: Tensor, op: String, input: Tensor,
              backward: @escaping (Tensor) -> Tensor) -> Tensor {
    recorded(output, op: op, inputs: [input]) { g, _ in [backward(g)] }
}

/// Reverse-mode gradients of `output` with respect to `inputs`.
///
/// - Parameters:
///   - output: a one-element tensor, or any tensor when `seed` is given.
///   - inputs: tensors to differentiate with respect to (leaves or intermediates).
///   - seed: the gradient of some scalar with respect to `output` (default 1).
///   - createGraph: record the backward computation so the returned gradients can
///     themselves be differentiated (needed by R1: ∇_θ ‖∇_x D(x; θ)‖²).
/// - Returns: one gradient per input, shaped like it (zeros where `output` does not
///   depend on it).
public func gradients(of output: Tensor, withRespectTo inputs: [Tensor], seed: Tensor? = nil,
                      createGraph: Bool = false) -> [Tensor] {
    if let seed {
        seed.expectShape(output.shape, "gradients seed")
    } else {
        precondition(output.count == 1, "gradients: output of shape \(output.shape) is not a scalar; pass a seed")
    }
    return withTrainingKernels {
        createGraph ? backpropagate(output, inputs, seed) : withoutGradients { backpropagate(output, inputs, seed) }
    }
}

private func backpropagate(_ output: Tensor, _ inputs: [Tensor], _ seed: Tensor?) -> [Tensor] {
    let wanted = Set(inputs.map(ObjectIdentifier.init))
    let order = topologicalOrder(from: output)
    // A tensor's gradient is needed if it is wanted or flows on to a wanted tensor.
    var needed = Set<ObjectIdentifier>()
    for tensor in order {
        let id = ObjectIdentifier(tensor)
        if wanted.contains(id) || (tensor.gradNode?.inputs.contains { needed.contains(ObjectIdentifier($0)) } ?? false) {
            needed.insert(id)
        }
    }
    var grads: [ObjectIdentifier: Tensor] = [:]
    grads[ObjectIdentifier(output)] = seed ?? Tensor.ones(output.shape)

    for tensor in order.reversed() {
        let id = ObjectIdentifier(tensor)
        guard let node = tensor.gradNode, let g = grads[id] else { continue }
        if !wanted.contains(id) { grads[id] = nil }  // free intermediate gradients early
        let needs = node.inputs.map { $0.requiresGrad && needed.contains(ObjectIdentifier($0)) }
        guard needs.contains(true) else { continue }
        let inputGrads = node.backward(g, needs)
        precondition(inputGrads.count == node.inputs.count, "\(node.op): backward returned \(inputGrads.count) gradients for \(node.inputs.count) inputs")
        for (input, (ig, need)) in zip(node.inputs, zip(inputGrads, needs)) {
            guard need, let ig else { continue }
            precondition(ig.shape == input.shape, "\(node.op): gradient shape \(ig.shape) does not match input shape \(input.shape)")
            let key = ObjectIdentifier(input)
            grads[key] = grads[key].map { $0 + ig } ?? ig
        }
    }
    return inputs.map { grads[ObjectIdentifier($0)] ?? Tensor.zeros($0.shape) }
}

/// Tensors reachable from `root` through recorded nodes, inputs before users.
private func topologicalOrder(from root: Tensor) -> [Tensor] {
    var order: [Tensor] = []
    var visited = Set<ObjectIdentifier>()
    // Iterative post-order DFS (deep graphs would overflow the stack recursively).
    var stack: [(Tensor, Int)] = [(root, 0)]
    visited.insert(ObjectIdentifier(root))
    while let (tensor, next) = stack.popLast() {
        let inputs = tensor.gradNode?.inputs ?? []
        if next < inputs.count {
            stack.append((tensor, next + 1))
            let child = inputs[next]
            if child.requiresGrad && visited.insert(ObjectIdentifier(child)).inserted {
                stack.append((child, 0))
            }
        } else {
            order.append(tensor)
        }
    }
    return order
}
