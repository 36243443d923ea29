import Foundation
import TensorCore

/// The shape of β_t over the steps. Raw values are diffusers' names
/// (`DDPMScheduler(beta_schedule:)`), so that numbers can be cross-checked.
public enum BetaSchedule: String, CaseIterable, Sendable {
    /// β_t = linspace(β_start, β_end, T) (Ho et al. 2020, §4: 1e-4 to 0.02).
    case linear
    /// β_t = linspace(√β_start, √β_end, T)², as Stable Diffusion uses.
    case scaledLinear = "scaled_linear"
    /// The same formula under the name of DDIM's code (`"quad"`, Song et al. 2021).
    case quadratic = "quad"
    /// β_t = sigmoid(linspace(−6, 6, T))·(β_end − β_start) + β_start: seed 000
    /// and diffusers' `"sigmoid"` (the sigmoid shapes β, not ᾱ).
    case sigmoid
    /// ᾱ(t) = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2), s = 0.008;
    /// β_t = min(1 − ᾱ(t+1)/ᾱ(t), 0.999) (Nichol & Dhariwal 2021, eq. 17).
    /// β_start and β_end are not used.
    case cosine = "squaredcos_cap_v2"
}

/// A noise schedule β_0 … β_{T−1} and every quantity derived from it that
/// DDPM uses (Ho et al. 2020). Steps are counted from 0, as in the seeds and
/// in diffusers: step t here is x_{t+1} in the paper, and ᾱ_t = ∏_{s≤t} α_s.
///
/// The arithmetic is done in `Double` and stored as `Float` tensors;
/// `schedule[t]` gives one step's values as `Double`s.
public struct NoiseSchedule: Sendable {
    /// The number of steps T.
    public let steps: Int
    /// Which formula made the betas (nil for custom betas).
    public let kind: BetaSchedule?
    /// The values in `Double`, step by step.
    public let table: [Step]

    /// One step's values.
    public struct Step: Sendable, Equatable {
        /// β_t, the variance of the noise step t adds (q(x_t | x_{t−1}), Ho et al. 2020, eq. 2).
        public let beta: Double
        /// α_t = 1 − β_t.
        public let alpha: Double
        /// ᾱ_t = ∏_{s≤t} α_s.
        public let alphaBar: Double
        /// ᾱ_{t−1}, with ᾱ_{−1} = 1.
        public let alphaBarPrevious: Double
        /// β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t), the variance of the posterior
        /// q(x_{t−1} | x_t, x_0) (Ho et al. 2020, eq. 7).
        public let posteriorVariance: Double
        /// The posterior mean is μ̃_t = coef1 · x_0 + coef2 · x_t with
        /// coef1 = β_t √ᾱ_{t−1} / (1 − ᾱ_t) and coef2 = (1 − ᾱ_{t−1}) √α_t / (1 − ᾱ_t) (eq. 7).
        public let posteriorMeanCoef1: Double
        public let posteriorMeanCoef2: Double

        /// √ᾱ_t, the signal's scale in x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε (eq. 4).
        public var sqrtAlphaBar: Double { alphaBar.squareRoot() }
        /// √(1 − ᾱ_t), the noise's scale in x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε (eq. 4).
        public var sqrtOneMinusAlphaBar: Double { (1 - alphaBar).squareRoot() }
        /// 1/√α_t.
        public var sqrtRecipAlpha: Double { 1 / alpha.squareRoot() }
        /// SNR(t) = ᾱ_t / (1 − ᾱ_t) (Kingma et al. 2021).
        public var snr: Double { alphaBar / (1 - alphaBar) }
    }

    /// A schedule by formula; β_start and β_end default to DDPM's 1e-4 and 0.02.
    public init(_ kind: BetaSchedule, steps: Int, betaStart: Double = 1e-4, betaEnd: Double = 0.02) {
        guard steps >= 1 else { fail("NoiseSchedule: steps must be at least 1, got \(steps).") }
        let betas: [Double]
        let fractions = (0..<steps).map { steps == 1 ? 0 : Double($0) / Double(steps - 1) }
        switch kind {
        case .linear:
            betas = fractions.map { betaStart + (betaEnd - betaStart) * $0 }
        case .scaledLinear, .quadratic:
            let (a, b) = (betaStart.squareRoot(), betaEnd.squareRoot())
            betas = fractions.map {
                let r = a + (b - a) * $0; return r * r
            }
        case .sigmoid:
            betas = fractions.map { 1 / (1 + exp(-(-6 + 12 * $0))) * (betaEnd - betaStart) + betaStart }
        case .cosine:
            betas = NoiseSchedule.cosineBetas(steps: steps)
        }
        self.init(betas: betas, kind: kind, hint: kind == .cosine ? "" : "; choose betaStart and betaEnd inside (0, 1)")
    }

    /// A schedule from your own betas.
    public init(betas: [Double]) {
        self.init(betas: betas, kind: nil, hint: "")
    }

    /// A schedule from a formula of your own: β_t = `beta(t)` for t in 0..<steps.
    public init(steps: Int, beta: (Int) -> Double) {
        guard steps >= 1 else { fail("NoiseSchedule: steps must be at least 1, got \(steps).") }
        self.init(betas: (0..<steps).map(beta))
    }

    /// The cosine schedule (Nichol & Dhariwal 2021, eq. 17) with s = 0.008 and
    /// β capped at `maxBeta` = 0.999, as diffusers' `betas_for_alpha_bar`.
    static func cosineBetas(steps: Int, s: Double = 0.008, maxBeta: Double = 0.999) -> [Double] {
        func alphaBar(_ t: Double) -> Double {
            let c = cos((t + s) / (1 + s) * Double.pi / 2)
            return c * c
        }
        return (0..<steps).map { i in
            min(1 - alphaBar(Double(i + 1) / Double(steps)) / alphaBar(Double(i) / Double(steps)), maxBeta)
        }
    }

    /// Why `betas` cannot make a schedule, as a sentence; nil when they can.
    public static func problem(with betas: [Double], hint: String = "") -> String? {
        if betas.isEmpty { return "NoiseSchedule: a schedule needs at least one step, but no betas were given." }
        if let bad = betas.firstIndex(where: { !($0 > 0 && $0 < 1) }) {
            return "NoiseSchedule: every β_t must lie strictly between 0 and 1, but β_\(bad) = \(betas[bad])\(hint)."
        }
        return nil
    }

    private init(betas: [Double], kind: BetaSchedule?, hint: String) {
        if let problem = NoiseSchedule.problem(with: betas, hint: hint) { fail(problem) }
        steps = betas.count
        self.kind = kind
        var table: [Step] = []
        var alphaBar = 1.0
        for beta in betas {
            let alpha = 1 - beta
            let previous = alphaBar
            alphaBar *= alpha
            table.append(
                Step(
                    beta: beta, alpha: alpha, alphaBar: alphaBar, alphaBarPrevious: previous,
                    posteriorVariance: beta * (1 - previous) / (1 - alphaBar),
                    posteriorMeanCoef1: beta * previous.squareRoot() / (1 - alphaBar),
                    posteriorMeanCoef2: (1 - previous) * alpha.squareRoot() / (1 - alphaBar)))
        }
        self.table = table
    }

    /// Step t's values, in `Double`.
    public subscript(t: Int) -> Step {
        guard t >= 0 && t < steps else {
            fail("NoiseSchedule: step \(t) is out of range; this schedule has steps 0..<\(steps).")
        }
        return table[t]
    }

    private func tensor(_ value: (Step) -> Double) -> Tensor { Tensor(table.map { Float(value($0)) }) }

    /// β_t, shape `[T]`.
    public var betas: Tensor { tensor(\.beta) }
    /// α_t = 1 − β_t.
    public var alphas: Tensor { tensor(\.alpha) }
    /// ᾱ_t = ∏_{s≤t} α_s (Ho et al. 2020, §2).
    public var alphaBars: Tensor { tensor(\.alphaBar) }
    /// ᾱ_{t−1}, with 1 for the first step.
    public var alphaBarsPrevious: Tensor { tensor(\.alphaBarPrevious) }
    /// √ᾱ_t, the scale of x_0 in q(x_t | x_0).
    public var sqrtAlphaBars: Tensor { tensor(\.sqrtAlphaBar) }
    /// √(1 − ᾱ_t), the standard deviation of q(x_t | x_0).
    public var sqrtOneMinusAlphaBars: Tensor { tensor(\.sqrtOneMinusAlphaBar) }
    /// log(1 − ᾱ_t).
    public var logOneMinusAlphaBars: Tensor { tensor { log(1 - $0.alphaBar) } }
    /// 1/√α_t.
    public var sqrtRecipAlphas: Tensor { tensor(\.sqrtRecipAlpha) }
    /// β̃_t (Ho et al. 2020, eq. 7).
    public var posteriorVariances: Tensor { tensor(\.posteriorVariance) }
    /// log β̃_t with the first step's (zero) variance replaced by the second's,
    /// as improved-diffusion clips it.
    public var posteriorLogVariancesClipped: Tensor {
        Tensor(
            table.indices.map { t in
                Float(log(t == 0 && steps > 1 ? table[1].posteriorVariance : table[t].posteriorVariance))
            })
    }
    /// The coefficient of x_0 in the posterior mean μ̃_t (eq. 7).
    public var posteriorMeanCoef1: Tensor { tensor(\.posteriorMeanCoef1) }
    /// The coefficient of x_t in the posterior mean μ̃_t (eq. 7).
    public var posteriorMeanCoef2: Tensor { tensor(\.posteriorMeanCoef2) }
    /// SNR(t) = ᾱ_t / (1 − ᾱ_t).
    public var snr: Tensor { tensor(\.snr) }
}

extension NoiseSchedule: CustomStringConvertible {
    public var description: String {
        let name = kind?.rawValue ?? "custom"
        func short(_ x: Double) -> String { String(format: "%.3g", x) }
        return
            "NoiseSchedule(\(name), T = \(steps), β from \(short(table[0].beta)) to \(short(table[steps - 1].beta)), "
            + "ᾱ_T = \(short(table[steps - 1].alphaBar)))"
    }
}
