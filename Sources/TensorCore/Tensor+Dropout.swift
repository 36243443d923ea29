/// Dropout (Srivastava et al. 2014), as `torch.nn.functional.dropout`: in
/// training each element is zeroed with probability `p` and the others are
/// scaled by 1/(1 − p), so that the expected value is unchanged; in evaluation
/// (or with p = 0) the input passes through untouched.
///
/// The mask is not kept for the backward pass: it is drawn again from the
/// generator's state as it was, which costs less than the memory of a mask
/// for every dropout layer of a network.
public func dropout(_ x: Tensor, p: Float, training: Bool, generator: Generator = .default) -> Tensor {
    if !(p >= 0 && p <= 1) {
        fail("dropout: the probability p must lie in [0, 1], got \(p).")
    }
    if !training || p == 0 { return x }
    // The kept elements' factor: 1/(1 − p), or 0 when everything is dropped.
    let keep: Float = p == 1 ? 0 : 1 / (1 - p)
    let (start, count, shape) = (generator.state, x.count, x.shape)
    let result = Tensor.make(shape) { applyDropoutMask(x.storage.pointer, $0, count, p: p, keep: keep, generator) }
    return result.recorded("Dropout", [x]) { g in
        let replay = Generator(seed: 0)
        replay.setState(start)
        return [Tensor.make(shape) { applyDropoutMask(g.storage.pointer, $0, count, p: p, keep: keep, replay) }]
    }
}

/// out[i] = values[i] · m_i, where m_i is 0 with probability p and `keep`
/// otherwise, drawn from `generator`: four 16-bit draws from each 64-bit
/// number (p is resolved to 1/65536).
private func applyDropoutMask(
    _ values: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ count: Int, p: Float, keep: Float,
    _ generator: Generator
) {
    let threshold = UInt64((Double(p) * 65_536).rounded())
    var i = 0
    while i < count {
        var bits = generator.next()
        for _ in 0..<Swift.min(4, count - i) {
            out[i] = bits & 0xFFFF < threshold ? 0 : values[i] * keep
            bits >>= 16
            i += 1
        }
    }
}
