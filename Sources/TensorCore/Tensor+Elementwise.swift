internal import CTensorKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// Elementwise arithmetic with NumPy broadcasting, and the usual functions,
// each with its derivative.

extension Tensor {
    /// `f` applied to every element, outside any graph.
    @inline(__always)
    func map(_ f: (Float) -> Float) -> Tensor {
        let source = storage.pointer
        return Tensor.make(shape) { out in
            for i in 0..<count { out[i] = f(source[i]) }
        }
    }

    /// `f` applied to corresponding elements of two tensors of one shape,
    /// outside any graph (used by derivatives).
    @inline(__always)
    func zipMap(_ other: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        let a = storage.pointer
        let b = other.storage.pointer
        return Tensor.make(shape) { out in
            for i in 0..<count { out[i] = f(a[i], b[i]) }
        }
    }

    // MARK: Arithmetic

    // `+` and `-` keep only shapes for their backward pass: their operands'
    // values are not needed, so the graph does not keep them alive.
    /// The elementwise sum, shapes broadcast as in PyTorch (`torch.add`).
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let (needA, needB, shapeA, shapeB) = (a.requiresGrad, b.requiresGrad, a.shape, b.shape)
        return broadcastMap(a, b, op: "+", +).recorded("Add", [a, b]) { g in
            [needA ? g.sum(toShape: shapeA) : nil, needB ? g.sum(toShape: shapeB) : nil]
        }
    }

    /// The elementwise difference, shapes broadcast as in PyTorch (`torch.sub`).
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let (needA, needB, shapeA, shapeB) = (a.requiresGrad, b.requiresGrad, a.shape, b.shape)
        return broadcastMap(a, b, op: "-", -).recorded("Sub", [a, b]) { g in
            [needA ? g.sum(toShape: shapeA) : nil, needB ? g.map { -$0 }.sum(toShape: shapeB) : nil]
        }
    }

    /// The elementwise product, shapes broadcast as in PyTorch (`torch.mul`).
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        broadcastMap(a, b, op: "*", *).recorded("Mul", [a, b]) { g in
            [
                a.requiresGrad ? broadcastMap(g, b, op: "*", *).sum(toShape: a.shape) : nil,
                b.requiresGrad ? broadcastMap(g, a, op: "*", *).sum(toShape: b.shape) : nil,
            ]
        }
    }

    /// The elementwise quotient, shapes broadcast as in PyTorch (`torch.div`).
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        broadcastMap(a, b, op: "/", /).recordedWithOutput("Div", [a, b]) { g, y in
            // ∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b² = −y/b
            [
                a.requiresGrad ? broadcastMap(g, b, op: "/", /).sum(toShape: a.shape) : nil,
                b.requiresGrad
                    ? broadcastMap(g.zipMap(y) { -$0 * $1 }, b, op: "/", /).sum(toShape: b.shape) : nil,
            ]
        }
    }

    public static prefix func - (a: Tensor) -> Tensor {
        a.map { -$0 }.recorded("Neg", [a]) { g in [g.map { -$0 }] }
    }

    /// The elementwise sum with a scalar (`torch.add`), any floating-point type.
    public static func + (a: Tensor, s: Float) -> Tensor {
        a.map { $0 + s }.recorded("AddScalar", [a]) { g in [g] }
    }

    /// The elementwise sum with a scalar (`torch.add`), any floating-point type.
    public static func + (s: Float, a: Tensor) -> Tensor { a + s }

    /// The elementwise difference with a scalar (`torch.sub`), any floating-point type.
    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }

    /// The elementwise difference with a scalar (`torch.sub`), any floating-point type.
    public static func - (s: Float, a: Tensor) -> Tensor {
        a.map { s - $0 }.recorded("RSubScalar", [a]) { g in [g.map { -$0 }] }
    }

    /// The elementwise product with a scalar (`torch.mul`), any floating-point type.
    public static func * (a: Tensor, s: Float) -> Tensor {
        a.map { $0 * s }.recorded("MulScalar", [a]) { g in [g.map { $0 * s }] }
    }

    /// The elementwise product with a scalar (`torch.mul`), any floating-point type.
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }

    /// The elementwise quotient with a scalar (`torch.div`), any floating-point type.
    public static func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }

    /// The elementwise quotient with a scalar (`torch.div`), any floating-point type.
    public static func / (s: Float, a: Tensor) -> Tensor {
        a.map { s / $0 }.recorded("RDivScalar", [a]) { g in
            // ∂(s/x)/∂x = −s/x² = −y²/s; written with x to stay exact when s = 0.
            [g.zipMap(a) { g, x in -g * s / (x * x) }]
        }
    }

    // Any floating-point scalar mixes with a tensor, as in PyTorch, so that a
    // schedule's `Double` values need no cast: `x0 * schedule[t].sqrtAlphaBar`.
    // The `Float` overloads above stay the ones a literal picks.
    /// The elementwise sum with a scalar (`torch.add`), any floating-point type.
    @_disfavoredOverload
    public static func + <S: BinaryFloatingPoint>(a: Tensor, s: S) -> Tensor { a + Float(s) }
    /// The elementwise sum with a scalar (`torch.add`), any floating-point type.
    @_disfavoredOverload
    public static func + <S: BinaryFloatingPoint>(s: S, a: Tensor) -> Tensor { a + Float(s) }
    /// The elementwise difference with a scalar (`torch.sub`), any floating-point type.
    @_disfavoredOverload
    public static func - <S: BinaryFloatingPoint>(a: Tensor, s: S) -> Tensor { a - Float(s) }
    /// The elementwise difference with a scalar (`torch.sub`), any floating-point type.
    @_disfavoredOverload
    public static func - <S: BinaryFloatingPoint>(s: S, a: Tensor) -> Tensor { Float(s) - a }
    /// The elementwise product with a scalar (`torch.mul`), any floating-point type.
    @_disfavoredOverload
    public static func * <S: BinaryFloatingPoint>(a: Tensor, s: S) -> Tensor { a * Float(s) }
    /// The elementwise product with a scalar (`torch.mul`), any floating-point type.
    @_disfavoredOverload
    public static func * <S: BinaryFloatingPoint>(s: S, a: Tensor) -> Tensor { a * Float(s) }
    /// The elementwise quotient with a scalar (`torch.div`), any floating-point type.
    @_disfavoredOverload
    public static func / <S: BinaryFloatingPoint>(a: Tensor, s: S) -> Tensor { a / Float(s) }
    /// The elementwise quotient with a scalar (`torch.div`), any floating-point type.
    @_disfavoredOverload
    public static func / <S: BinaryFloatingPoint>(s: S, a: Tensor) -> Tensor { Float(s) / a }

    /// In place: `a += b` is `a = a + b` (`Tensor.add_`).
    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    /// In place: `a -= b` is `a = a - b` (`Tensor.sub_`).
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    /// In place: `a *= b` is `a = a * b` (`Tensor.mul_`).
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }
    /// In place: `a /= b` is `a = a / b` (`Tensor.div_`).
    public static func /= (a: inout Tensor, b: Tensor) { a = a / b }
    /// In place: `a += b` is `a = a + b` (`Tensor.add_`).
    public static func += (a: inout Tensor, s: Float) { a = a + s }
    /// In place: `a -= b` is `a = a - b` (`Tensor.sub_`).
    public static func -= (a: inout Tensor, s: Float) { a = a - s }
    /// In place: `a *= b` is `a = a * b` (`Tensor.mul_`).
    public static func *= (a: inout Tensor, s: Float) { a = a * s }
    /// In place: `a /= b` is `a = a / b` (`Tensor.div_`).
    public static func /= (a: inout Tensor, s: Float) { a = a / s }
    /// In place: `a += b` is `a = a + b` (`Tensor.add_`).
    @_disfavoredOverload
    public static func += <S: BinaryFloatingPoint>(a: inout Tensor, s: S) { a = a + Float(s) }
    /// In place: `a -= b` is `a = a - b` (`Tensor.sub_`).
    @_disfavoredOverload
    public static func -= <S: BinaryFloatingPoint>(a: inout Tensor, s: S) { a = a - Float(s) }
    /// In place: `a *= b` is `a = a * b` (`Tensor.mul_`).
    @_disfavoredOverload
    public static func *= <S: BinaryFloatingPoint>(a: inout Tensor, s: S) { a = a * Float(s) }
    /// In place: `a /= b` is `a = a / b` (`Tensor.div_`).
    @_disfavoredOverload
    public static func /= <S: BinaryFloatingPoint>(a: inout Tensor, s: S) { a = a / Float(s) }

    // MARK: Functions

    /// eˣ.
    public func exp() -> Tensor {
        map { expf($0) }.recordedWithOutput("Exp", [self]) { g, y in [g.zipMap(y) { $0 * $1 }] }
    }

    /// The natural logarithm.
    public func log() -> Tensor {
        map { logf($0) }.recorded("Log", [self]) { g in [g.zipMap(self) { $0 / $1 }] }
    }

    /// √x.
    public func sqrt() -> Tensor {
        map { $0.squareRoot() }.recordedWithOutput("Sqrt", [self]) { g, y in [g.zipMap(y) { 0.5 * $0 / $1 }] }
    }

    /// x².
    public func square() -> Tensor {
        map { $0 * $0 }.recorded("Square", [self]) { g in [g.zipMap(self) { 2 * $0 * $1 }] }
    }

    /// xᵖ for a constant exponent.
    public func pow(_ p: Float) -> Tensor {
        if p == 2 { return square() }
        return map { powf($0, p) }.recorded("Pow", [self]) { g in
            [g.zipMap(self) { g, x in g * p * powf(x, p - 1) }]
        }
    }

    /// |x|, with derivative 0 at 0 as in PyTorch.
    public func abs() -> Tensor {
        map { Swift.abs($0) }.recorded("Abs", [self]) { g in
            [g.zipMap(self) { g, x in x > 0 ? g : (x < 0 ? -g : 0) }]
        }
    }

    /// max(x, 0).
    public func relu() -> Tensor {
        Tensor.make(shape) { ddpm_relu_forward(storage.pointer, $0, count) }.recordedWithOutput("ReLU", [self]) {
            g, y in
            [Tensor.make(y.shape) { ddpm_relu_backward(y.storage.pointer, g.storage.pointer, $0, y.count) }]
        }
    }

    /// σ(x) = 1 / (1 + e⁻ˣ).
    public func sigmoid() -> Tensor {
        map { 1 / (1 + expf(-$0)) }.recordedWithOutput("Sigmoid", [self]) { g, y in
            [g.zipMap(y) { g, y in g * y * (1 - y) }]
        }
    }

    /// x·σ(x), also called swish (Ramachandran et al. 2017), used by the UNet;
    /// d/dx = σ(x)·(1 + x·(1 − σ(x))).
    public func silu() -> Tensor {
        let result = Tensor.make(shape) { ddpm_silu_forward(storage.pointer, $0, count) }
        return result.recorded("SiLU", [self]) { g in
            [Tensor.make(self.shape) { ddpm_silu_backward(self.storage.pointer, g.storage.pointer, $0, self.count) }]
        }
    }

    /// tanh(x).
    public func tanh() -> Tensor {
        map { tanhf($0) }.recordedWithOutput("Tanh", [self]) { g, y in [g.zipMap(y) { g, y in g * (1 - y * y) }] }
    }

    /// sin(x), for sinusoidal step embeddings.
    public func sin() -> Tensor {
        map { sinf($0) }.recorded("Sin", [self]) { g in [g.zipMap(self) { $0 * cosf($1) }] }
    }

    /// cos(x), for sinusoidal step embeddings.
    public func cos() -> Tensor {
        map { cosf($0) }.recorded("Cos", [self]) { g in [g.zipMap(self) { -$0 * sinf($1) }] }
    }

    /// x clamped into [lower, upper]; the derivative is 1 inside, 0 outside.
    public func clamp(min lower: Float = -.infinity, max upper: Float = .infinity) -> Tensor {
        map { Swift.min(Swift.max($0, lower), upper) }.recorded("Clamp", [self]) { g in
            [g.zipMap(self) { g, x in x >= lower && x <= upper ? g : 0 }]
        }
    }
}

/// Elementwise free functions in the style of `torch.exp(x)`.
public func exp(_ x: Tensor) -> Tensor { x.exp() }
/// `log(x)` elementwise (`torch.log`).
public func log(_ x: Tensor) -> Tensor { x.log() }
/// `sqrt(x)` elementwise (`torch.sqrt`).
public func sqrt(_ x: Tensor) -> Tensor { x.sqrt() }
/// `abs(x)` elementwise (`torch.abs`).
public func abs(_ x: Tensor) -> Tensor { x.abs() }
/// `relu(x)` elementwise (`torch.relu`).
public func relu(_ x: Tensor) -> Tensor { x.relu() }
/// `silu(x)` elementwise (`torch.silu`).
public func silu(_ x: Tensor) -> Tensor { x.silu() }
/// `sigmoid(x)` elementwise (`torch.sigmoid`).
public func sigmoid(_ x: Tensor) -> Tensor { x.sigmoid() }
/// `tanh(x)` elementwise (`torch.tanh`).
public func tanh(_ x: Tensor) -> Tensor { x.tanh() }
/// `sin(x)` elementwise (`torch.sin`).
public func sin(_ x: Tensor) -> Tensor { x.sin() }
/// `cos(x)` elementwise (`torch.cos`).
public func cos(_ x: Tensor) -> Tensor { x.cos() }
public func pow(_ x: Tensor, _ p: Float) -> Tensor { x.pow(p) }
