import DDPM
import Foundation
import XCTest

/// Schedules against diffusers' DDPMScheduler. The goldens in
/// Goldens/schedules.json were written by Goldens/make_schedule_goldens.py
/// (diffusers 0.35.2, torch 2.13.0+cpu; diffusers computes in float32).
final class NoiseScheduleTests: XCTestCase {
    struct Golden: Decodable {
        let beta_schedule: String
        let steps: Int
        let beta_start: Double
        let beta_end: Double
        let betas: [Double]
        let alphas_cumprod: [Double]
        let variance: [Double]
    }

    struct Goldens: Decodable {
        let source: String
        let schedules: [Golden]
    }

    func testSchedulesMatchDiffusersWithin1e6() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Goldens/schedules.json")
        let goldens = try JSONDecoder().decode(Goldens.self, from: Data(contentsOf: url))
        XCTAssertEqual(goldens.schedules.count, 8)
        for golden in goldens.schedules {
            let kind = try XCTUnwrap(BetaSchedule(rawValue: golden.beta_schedule))
            let schedule = NoiseSchedule(
                kind, steps: golden.steps, betaStart: golden.beta_start, betaEnd: golden.beta_end)
            let name = "\(golden.beta_schedule), T = \(golden.steps)"
            for t in 0..<golden.steps {
                XCTAssertEqual(schedule[t].beta, golden.betas[t], accuracy: 1e-6, "β_\(t), \(name)")
                XCTAssertEqual(schedule[t].alphaBar, golden.alphas_cumprod[t], accuracy: 1e-6, "ᾱ_\(t), \(name)")
                if t > 0 {  // diffusers clamps β̃_0 = 0 to 1e-20
                    XCTAssertEqual(schedule[t].posteriorVariance, golden.variance[t], accuracy: 1e-6, "β̃_\(t), \(name)")
                }
            }
            // The tensors hold the same numbers.
            XCTAssertEqual(
                Double(schedule.alphaBars.scalar(at: golden.steps - 1)), golden.alphas_cumprod.last!, accuracy: 1e-6)
        }
    }

    func testDerivedQuantitiesFollowTheirDefinitions() {
        let schedule = NoiseSchedule(.sigmoid, steps: 100, betaStart: 1e-5, betaEnd: 0.5e-2)
        // The seed's numbers: sigmoid(−6)·(0.005 − 1e-5) + 1e-5 at t = 0.
        XCTAssertEqual(schedule[0].beta, 1 / (1 + exp(6.0)) * (0.5e-2 - 1e-5) + 1e-5, accuracy: 1e-15)
        for t in [0, 1, 50, 99] {
            let s = schedule[t]
            XCTAssertEqual(s.alpha, 1 - s.beta)
            XCTAssertEqual(s.alphaBar, (0...t).reduce(1.0) { $0 * (1 - schedule[$1].beta) }, accuracy: 1e-14)
            XCTAssertEqual(s.alphaBarPrevious, t == 0 ? 1 : schedule[t - 1].alphaBar)
            XCTAssertEqual(s.snr, s.alphaBar / (1 - s.alphaBar), accuracy: 1e-12)
            // Eq. 7 with a noise-free x_t = √ᾱ_t x_0 gives μ̃_t = √ᾱ_{t−1} x_0.
            XCTAssertEqual(
                s.posteriorMeanCoef1 + s.posteriorMeanCoef2 * s.sqrtAlphaBar, s.alphaBarPrevious.squareRoot(),
                accuracy: 1e-9)  // 1 − ᾱ_0 = β_0 ≈ 2e-5 costs digits
        }
        XCTAssertEqual(schedule[0].posteriorVariance, 0)
        XCTAssertEqual(schedule.posteriorLogVariancesClipped.scalar(at: 0), Float(log(schedule[1].posteriorVariance)))
        XCTAssertEqual(schedule.betas.shape, [100])
        XCTAssertEqual(schedule.description, "NoiseSchedule(sigmoid, T = 100, β from 2.23e-05 to 0.00499, ᾱ_T = 0.778)")
    }

    func testCustomSchedulesFromAnArrayOrAClosure() {
        let fromArray = NoiseSchedule(betas: [0.1, 0.2, 0.3])
        XCTAssertEqual(fromArray.steps, 3)
        XCTAssertEqual(fromArray[2].alphaBar, 0.9 * 0.8 * 0.7, accuracy: 1e-15)
        let fromClosure = NoiseSchedule(steps: 3) { t in [0.1, 0.2, 0.3][t] }
        XCTAssertEqual(fromClosure.table, fromArray.table)
        XCTAssertNil(fromArray.kind)
    }

    func testInvalidSchedulesAreNamedInASentence() {
        XCTAssertEqual(
            NoiseSchedule.problem(with: []),
            "NoiseSchedule: a schedule needs at least one step, but no betas were given.")
        XCTAssertEqual(
            NoiseSchedule.problem(with: [0.1, 1.2], hint: "; choose betaStart and betaEnd inside (0, 1)"),
            "NoiseSchedule: every β_t must lie strictly between 0 and 1, but β_1 = 1.2; "
                + "choose betaStart and betaEnd inside (0, 1).")
        XCTAssertNotNil(NoiseSchedule.problem(with: [0]))
        XCTAssertNotNil(NoiseSchedule.problem(with: [.nan]))
        XCTAssertNil(NoiseSchedule.problem(with: [0.5]))
    }
}
