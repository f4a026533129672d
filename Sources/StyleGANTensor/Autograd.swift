/// How a tensor was computed: the op's inputs and its backward rule.
///
/// `backward` maps the gradient of the op's output to one gradient per input (nil where
/// an input needs none). Rules are written with ordinary differentiable ops, so running
/// them while recording builds the graph of the gradient itself (double backward).
final class GradNode {
    let op: String
    let inputs: [Tensor]
    let backward: (Tensor) -> [Tensor?]

    init(op: String, inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
        self.op = op
        self.inputs = inputs
        self.backward = backward
    }
}

/// Attaches a backward rule to `output` when recording and some input requires grad.
/// Backward closures capture inputs only (never `output`), so no reference cycle forms.
@inline(__always)
func recorded(_ output: Tensor, op: String, inputs: [Tensor],
              backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
    if GradMode.isEnabled && inputs.contains(where: { $0.requiresGrad }) {
        output.requiresGrad = true
        output.gradNode = GradNode(op: op, inputs: inputs, backward: backward)
    }
    return output
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
    if !createGraph {
        return withoutGradients { backpropagate(output, inputs, seed) }
    }
    return backpropagate(output, inputs, seed)
}

private func backpropagate(_ output: Tensor, _ inputs: [Tensor], _ seed: Tensor?) -> [Tensor] {
    let wanted = Set(inputs.map(ObjectIdentifier.init))
    let order = topologicalOrder(from: output)
    var grads: [ObjectIdentifier: Tensor] = [:]
    grads[ObjectIdentifier(output)] = seed ?? Tensor.ones(output.shape)

    for tensor in order.reversed() {
        let id = ObjectIdentifier(tensor)
        guard let node = tensor.gradNode, let g = grads[id] else { continue }
        if !wanted.contains(id) { grads[id] = nil }  // free intermediate gradients early
        let inputGrads = node.backward(g)
        precondition(inputGrads.count == node.inputs.count, "\(node.op): backward returned \(inputGrads.count) gradients for \(node.inputs.count) inputs")
        for (input, ig) in zip(node.inputs, inputGrads) {
            guard input.requiresGrad, let ig else { continue }
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
