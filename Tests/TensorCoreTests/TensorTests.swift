import XCTest

@testable import TensorCore

final class TensorTests: XCTestCase {
    func testConstruction() {
        XCTAssertEqual(Tensor([[1, 2, 3], [4, 5, 6]]).shape, [2, 3])
        XCTAssertEqual(Tensor(5).shape, [])
        XCTAssertEqual(Tensor(5).item(), 5)
        XCTAssertEqual(Tensor([0.5, 1.5] as [Double]).scalars, [0.5, 1.5])
        XCTAssertEqual(Tensor(repeating: 2, shape: [2, 2]).scalars, [2, 2, 2, 2])
        XCTAssertEqual(Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]).scalar(at: 1, 2), 6)
        XCTAssertEqual(zeros(0, 3).count, 0)
    }

    func testDescriptionIsCompact() {
        XCTAssertEqual(
            Tensor([[1, 2], [3, 4.5]]).description,
            "tensor([[1., 2.],\n        [3., 4.5000]], shape: [2, 2])")
        XCTAssertEqual(
            Tensor([Float](repeating: 1, count: 100)).description,
            "tensor([1., 1., 1., ..., 1., 1., 1.], shape: [100])")
        XCTAssertEqual(
            Tensor([1]).requiringGrad().exp().description,
            "tensor([2.7183], shape: [1], grad_fn: Exp)")
        XCTAssertEqual(Tensor(1e-5).description, "tensor(1.0000e-05, shape: [])")
    }

    func testMeanAndSumValues() {
        let x = Tensor([[1, 2], [3, 4]])
        XCTAssertEqual(x.sum().item(), 10)
        XCTAssertEqual(x.mean().item(), 2.5)
        XCTAssertEqual(x.mean(axis: 0).scalars, [2, 3])
        XCTAssertEqual(x.sum(axis: 1, keepDims: true).shape, [2, 1])
        XCTAssertEqual(x.max().item(), 4)
        XCTAssertEqual(x.squaredNorm(), 30)
    }

    /// Any floating-point scalar mixes with a tensor (a schedule's values are
    /// `Double`), without a cast; literals still pick `Float`.
    func testDoubleScalarsNeedNoCast() {
        let x = Tensor([1, 2])
        let half: Double = 0.5
        XCTAssertEqual((x * half).scalars, [0.5, 1])
        XCTAssertEqual((half * x).scalars, [0.5, 1])
        XCTAssertEqual((x + half).scalars, [1.5, 2.5])
        XCTAssertEqual((half - x).scalars, [-0.5, -1.5])
        XCTAssertEqual((x / half).scalars, [2, 4])
        XCTAssertEqual((half / x).scalars, [0.5, 0.25])
        XCTAssertEqual((x * 2 + 1).scalars, [3, 5])
        var y = x
        y *= half
        y += 1.0 as Double
        XCTAssertEqual(y.scalars, [1.5, 2])
        let w = Tensor([3]).requiringGrad()
        (w * half).sum().backward()
        XCTAssertEqual(w.grad?.scalars, [0.5])
    }
}
