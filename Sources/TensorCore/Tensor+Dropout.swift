/// Dropout (Srivastava et al. 2014), as `torch.nn.functional.dropout`: in
/// training each element is zeroed with probability `p` and the others are
/// scaled by 1/(1 − p), so that the expected value is unchanged; in evaluation
/// (or with p = 0) the input passes through untouched.
public func dropout(_ x: Tensor, p: Float, training: Bool, generator: Generator = .default) -> Tensor {
    if !(p >= 0 && p <= 1) {
        fail("dropout: the probability p must lie in [0, 1], got \(p).")
    }
    if !training || p == 0 { return x }
    // The kept elements' factor: 1/(1 − p), or 0 when everything is dropped.
    let keep: Float = p == 1 ? 0 : 1 / (1 - p)
    let mask = Tensor.make(x.shape) { out in
        for i in 0..<x.count { out[i] = generator.uniform() < p ? 0 : keep }
    }
    let xp = x.storage.pointer
    let mp = mask.storage.pointer
    let result = Tensor.make(x.shape) { out in
        for i in 0..<x.count { out[i] = xp[i] * mp[i] }
    }
    return result.recorded("Dropout", [x]) { g, _ in [g.zipMap(mask) { $0 * $1 }] }
}
