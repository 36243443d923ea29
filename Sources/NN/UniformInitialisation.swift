import TensorCore

/// A trainable tensor drawn uniformly from ±bound, PyTorch's default
/// initialisation of the weights and biases of linear and convolution layers
/// (bound = 1/√fan_in, from `kaiming_uniform_(a=√5)` and the bias rule).
func uniformParameter(shape: [Int], bound: Float, generator: Generator) -> Tensor {
    rand(shape: shape, low: -bound, high: bound, generator: generator).requiringGrad()
}
