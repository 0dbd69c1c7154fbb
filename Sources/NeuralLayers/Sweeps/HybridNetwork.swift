import TensorCore
import TensorNetworks

/// The gradients of the loss with respect to one affine layer (``Dense`` or ``TNLayer``) of a
/// tensor neural network, as the DMRG-like sweeps of ``TNNTrainer`` take them.
struct AffineGradient: Sendable {
    /// `∂L/∂W` as a dense `[inputSize, units]` matrix (for a ``TNLayer``, with respect to the
    /// contracted MPO; project it with ``MPO/bondGradient(matrixGradient:at:)``). `nil` for a
    /// frozen layer.
    var weight: Tensor<Double>?
    /// `∂L/∂b`; `nil` for a frozen layer or a layer without bias.
    var bias: Tensor<Double>?
}

/// A tensor neural network (Jahromi & Orús) is a ``Sequential`` of ``Dense`` and ``TNLayer``
/// layers; these are what its DMRG-like training needs beyond back-propagation.
extension Sequential where Scalar == Double {
    /// The indices of the ``TNLayer`` layers, in order.
    public var tensorNetworkLayerIndices: [Int] { layers.indices.filter { layers[$0] is TNLayer } }

    /// Every scalar the layers hold, frozen layers included (a frozen ``Dense`` has no trainable
    /// ``NeuralLayer/parameters`` but still holds its weight and bias): the size of the model.
    public var scalarCount: Int {
        layers.reduce(0) { total, layer in
            if let dense = layer as? Dense<Double> { return total + dense.weight.count + (dense.bias?.count ?? 0) }
            if let tn = layer as? TNLayer { return total + tn.parameterCount }
            return total + layer.parameterCount
        }
    }

    /// The loss on a batch, the output, and every layer's ``AffineGradient`` (for a ``TNLayer``
    /// with respect to its contracted matrix).
    /// - Precondition: every layer is a ``Dense`` or a ``TNLayer``.
    func affineGradients(
        inputs: Tensor<Double>, targets: Tensor<Double>, loss: Loss
    ) -> (loss: Double, output: Tensor<Double>, gradients: [AffineGradient]) {
        let (output, caches) = forward(inputs)
        let value = loss(output, targets)
        var gradients = [AffineGradient](repeating: AffineGradient(weight: nil, bias: nil), count: layers.count)
        var upstream = loss.gradient(output, targets)
        for k in layers.indices.reversed() {
            let needsInput = k > 0
            guard let cache = caches[k] as? LayerCache<Double> else {
                preconditionFailure("TNN layer \(k) (\(type(of: layers[k]))) is not an affine layer")
            }
            let input: Tensor<Double>?
            if let dense = layers[k] as? Dense<Double> {
                let pass = dense.backward(upstream, cache: cache, needsInputGradient: needsInput)
                input = pass.input
                gradients[k] = AffineGradient(weight: pass.parameters.first, bias: dense.bias == nil ? nil : pass.parameters.last)
            } else if let tn = layers[k] as? TNLayer {
                let pass = tn.matrixBackward(upstream, cache: cache, needsInputGradient: needsInput)
                input = pass.input
                gradients[k] = AffineGradient(weight: pass.weight, bias: pass.bias)
            } else {
                preconditionFailure("TNN layer \(k) is a \(type(of: layers[k])), not a Dense or TNLayer")
            }
            if let input { upstream = input }
        }
        return (value, output, gradients)
    }

    /// Floating-point operations of one forward pass on `batch` samples, as the TNN sweeps
    /// count them: the products of every affine layer and the contraction of every MPO.
    func affineForwardFlops(batch: Int) -> Double {
        layers.reduce(0.0) { total, layer in
            if let dense = layer as? Dense<Double> {
                return total + 2.0 * Double(batch) * Double(dense.inputSize) * Double(dense.units)
            }
            guard let tn = layer as? TNLayer else { preconditionFailure("TNN layer \(type(of: layer)) is not a Dense or TNLayer") }
            return total + (2.0 * Double(batch) * Double(tn.inputSize) * Double(tn.units) + tn.mpo.contractionFlops)
        }
    }
}
