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

    /// A unary operation y = f(x) whose derivative is given in terms of x and y.
    @inline(__always)
    func unary(
        _ name: String, _ f: (Float) -> Float, derivative: @escaping (_ x: Float, _ y: Float) -> Float
    ) -> Tensor {
        map(f).recorded(name, [self]) { g, y in
            let x = self.storage.pointer
            let yp = y.storage.pointer
            let gp = g.storage.pointer
            return [Tensor.make(self.shape) { out in
                for i in 0..<self.count { out[i] = gp[i] * derivative(x[i], yp[i]) }
            }]
        }
    }

    // MARK: Arithmetic

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        broadcastMap(a, b, op: "+", +).recorded("Add", [a, b]) { g, _ in
            [a.requiresGrad ? g.sum(toShape: a.shape) : nil,
             b.requiresGrad ? g.sum(toShape: b.shape) : nil]
        }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        broadcastMap(a, b, op: "-", -).recorded("Sub", [a, b]) { g, _ in
            [a.requiresGrad ? g.sum(toShape: a.shape) : nil,
             b.requiresGrad ? g.map { -$0 }.sum(toShape: b.shape) : nil]
        }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        broadcastMap(a, b, op: "*", *).recorded("Mul", [a, b]) { g, _ in
            [a.requiresGrad ? broadcastMap(g, b, op: "*", *).sum(toShape: a.shape) : nil,
             b.requiresGrad ? broadcastMap(g, a, op: "*", *).sum(toShape: b.shape) : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        broadcastMap(a, b, op: "/", /).recorded("Div", [a, b]) { g, y in
            // ∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b² = −y/b
            [a.requiresGrad ? broadcastMap(g, b, op: "/", /).sum(toShape: a.shape) : nil,
             b.requiresGrad
                ? broadcastMap(g.zipMap(y) { -$0 * $1 }, b, op: "/", /).sum(toShape: b.shape) : nil]
        }
    }

    public static prefix func - (a: Tensor) -> Tensor {
        a.map { -$0 }.recorded("Neg", [a]) { g, _ in [g.map { -$0 }] }
    }

    public static func + (a: Tensor, s: Float) -> Tensor {
        a.map { $0 + s }.recorded("AddScalar", [a]) { g, _ in [g] }
    }

    public static func + (s: Float, a: Tensor) -> Tensor { a + s }

    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }

    public static func - (s: Float, a: Tensor) -> Tensor {
        a.map { s - $0 }.recorded("RSubScalar", [a]) { g, _ in [g.map { -$0 }] }
    }

    public static func * (a: Tensor, s: Float) -> Tensor {
        a.map { $0 * s }.recorded("MulScalar", [a]) { g, _ in [g.map { $0 * s }] }
    }

    public static func * (s: Float, a: Tensor) -> Tensor { a * s }

    public static func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }

    public static func / (s: Float, a: Tensor) -> Tensor {
        a.map { s / $0 }.recorded("RDivScalar", [a]) { g, y in
            // ∂(s/x)/∂x = −s/x² = −y²/s; written with x to stay exact when s = 0.
            [g.zipMap(a) { g, x in -g * s / (x * x) }]
        }
    }

    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }
    public static func /= (a: inout Tensor, b: Tensor) { a = a / b }
    public static func += (a: inout Tensor, s: Float) { a = a + s }
    public static func -= (a: inout Tensor, s: Float) { a = a - s }
    public static func *= (a: inout Tensor, s: Float) { a = a * s }
    public static func /= (a: inout Tensor, s: Float) { a = a / s }

    // MARK: Functions

    /// eˣ.
    public func exp() -> Tensor { unary("Exp", { Glibc.expf($0) }) { _, y in y } }

    /// The natural logarithm.
    public func log() -> Tensor { unary("Log", { Glibc.logf($0) }) { x, _ in 1 / x } }

    /// √x.
    public func sqrt() -> Tensor { unary("Sqrt", { $0.squareRoot() }) { _, y in 0.5 / y } }

    /// x².
    public func square() -> Tensor { unary("Square", { $0 * $0 }) { x, _ in 2 * x } }

    /// xᵖ for a constant exponent.
    public func pow(_ p: Float) -> Tensor {
        if p == 2 { return square() }
        return unary("Pow", { Glibc.powf($0, p) }) { x, _ in p * Glibc.powf(x, p - 1) }
    }

    /// |x|, with derivative 0 at 0 as in PyTorch.
    public func abs() -> Tensor {
        unary("Abs", { Swift.abs($0) }) { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) }
    }

    /// max(x, 0).
    public func relu() -> Tensor { unary("ReLU", { Swift.max($0, 0) }) { x, _ in x > 0 ? 1 : 0 } }

    /// σ(x) = 1 / (1 + e⁻ˣ).
    public func sigmoid() -> Tensor {
        unary("Sigmoid", { 1 / (1 + Glibc.expf(-$0)) }) { _, y in y * (1 - y) }
    }

    /// x·σ(x), also called swish (Ramachandran et al. 2017), used by the UNet.
    public func silu() -> Tensor {
        unary("SiLU", { $0 / (1 + Glibc.expf(-$0)) }) { x, _ in
            let s = 1 / (1 + Glibc.expf(-x))
            return s * (1 + x * (1 - s))
        }
    }

    /// tanh(x).
    public func tanh() -> Tensor { unary("Tanh", { Glibc.tanhf($0) }) { _, y in 1 - y * y } }

    /// sin(x), for sinusoidal step embeddings.
    public func sin() -> Tensor { unary("Sin", { Glibc.sinf($0) }) { x, _ in Glibc.cosf(x) } }

    /// cos(x), for sinusoidal step embeddings.
    public func cos() -> Tensor { unary("Cos", { Glibc.cosf($0) }) { x, _ in -Glibc.sinf(x) } }

    /// x clamped into [lower, upper]; the derivative is 1 inside, 0 outside.
    public func clamp(min lower: Float = -.infinity, max upper: Float = .infinity) -> Tensor {
        unary("Clamp", { Swift.min(Swift.max($0, lower), upper) }) { x, _ in
            x >= lower && x <= upper ? 1 : 0
        }
    }
}

/// Elementwise free functions in the style of `torch.exp(x)`.
public func exp(_ x: Tensor) -> Tensor { x.exp() }
public func log(_ x: Tensor) -> Tensor { x.log() }
public func sqrt(_ x: Tensor) -> Tensor { x.sqrt() }
public func abs(_ x: Tensor) -> Tensor { x.abs() }
public func relu(_ x: Tensor) -> Tensor { x.relu() }
public func silu(_ x: Tensor) -> Tensor { x.silu() }
public func sigmoid(_ x: Tensor) -> Tensor { x.sigmoid() }
public func tanh(_ x: Tensor) -> Tensor { x.tanh() }
public func sin(_ x: Tensor) -> Tensor { x.sin() }
public func cos(_ x: Tensor) -> Tensor { x.cos() }
public func pow(_ x: Tensor, _ p: Float) -> Tensor { x.pow(p) }
