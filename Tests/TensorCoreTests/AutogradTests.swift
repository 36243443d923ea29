import XCTest

@testable import TensorCore

/// How gradients flow and accumulate, as in PyTorch's autograd.
final class AutogradTests: XCTestCase {
    func testGradientsAccumulateUntilZeroed() {
        let w = Tensor([2, -1]).requiringGrad()
        (w * w).sum().backward()
        XCTAssertEqual(w.grad?.scalars, [4, -2])
        (w * 3).sum().backward()
        XCTAssertEqual(w.grad?.scalars, [7, 1])
        w.zeroGrad()
        XCTAssertEqual(w.grad?.scalars, [0, 0])
    }

    /// A fresh gradient becomes the leaf's `grad` without a copy, but one
    /// that two inputs receive (a + b) or a view of another tensor
    /// (reshape's gradient) is copied: changing one leaf's gradient never
    /// changes another's.
    func testLeavesNeverShareGradientMemory() {
        let a = Tensor([1, 2]).requiringGrad()
        let b = Tensor([3, 4]).requiringGrad()
        (a + b).sum().backward()
        a.grad!.storage.pointer[0] = 100
        XCTAssertEqual(b.grad!.scalars, [1, 1])

        let c = Tensor([1, 2, 3, 4]).requiringGrad()
        let d = Tensor([1, 1, 1, 1]).requiringGrad()
        let y = c.reshape([2, 2]) * 3
        (y.reshape([4]) + d).sum().backward()
        XCTAssertEqual(c.grad!.scalars, [3, 3, 3, 3])
        d.grad!.storage.pointer[0] = -1
        XCTAssertEqual(c.grad!.scalars, [3, 3, 3, 3])

        let w = Tensor([[1, 2], [3, 4]]).requiringGrad()
        let x = Tensor([[1, 0], [0, 1]])
        x.matmul(w).sum().backward()  // ∂/∂w = xᵀ·1, a product's fresh result
        XCTAssertFalse(w.grad!.storage.isShared)
        XCTAssertEqual(w.grad!.scalars, [1, 1, 1, 1])
        x.matmul(w).sum().backward()  // a second backward adds to it
        XCTAssertEqual(w.grad!.scalars, [2, 2, 2, 2])
    }

    func testOnlyLeavesThatRequireGradReceiveOne() {
        let x = Tensor([1, 2])
        let w = Tensor([3, 4]).requiringGrad()
        let hidden = x * w
        (hidden + 1).sum().backward()
        XCTAssertNil(x.grad)
        XCTAssertNil(hidden.grad, "intermediate results keep no gradient, as in PyTorch")
        XCTAssertEqual(w.grad?.scalars, [1, 2])
    }

    func testNoGradRecordsNothing() {
        let w = Tensor([1, 2]).requiringGrad()
        let y = withNoGrad { (w * 2).exp() }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertNil(y.gradNode)
        XCTAssertTrue(GradMode.isEnabled, "the scope restores the mode")
        XCTAssertTrue((w * 2).requiresGrad)
    }

    func testDetachStopsTheGradient() {
        let w = Tensor([3]).requiringGrad()
        let y = w * w.detach()
        y.sum().backward()
        XCTAssertEqual(w.grad?.scalars, [3], "d/dw (w · const) = const")
    }

    func testVectorJacobianProduct() {
        let x = Tensor([1, 2, 3]).requiringGrad()
        let y = x.square()
        y.backward(Tensor([1, 0, -1]))
        XCTAssertEqual(x.grad?.scalars, [2, 0, -6])
    }

    func testDeepGraphDoesNotOverflowTheStack() {
        let x = Tensor([1]).requiringGrad()
        var y = x
        for _ in 0..<20_000 { y = y + 0 }
        y.sum().backward()
        XCTAssertEqual(x.grad?.scalars, [1])
    }

    func testGraphIsReleasedWithTheLoss() {
        weak var weakIntermediate: Tensor?
        let w = Tensor([1, 2]).requiringGrad()
        do {
            let hidden = w.exp()
            weakIntermediate = hidden
            let loss = hidden.sum()
            loss.backward()
        }
        XCTAssertNil(weakIntermediate, "the graph must not form reference cycles")
    }

    /// The graph keeps a value only when a derivative needs it, and only
    /// until that derivative has run, as PyTorch's saved tensors.
    func testTheGraphKeepsOnlyWhatDerivativesNeedUntilTheyRun() {
        let x = randn(4).requiringGrad()
        var added: Tensor? = x * 2
        weak var weakAdded = added
        let shifted = added! + 1  // the derivative of + 1 needs no values
        added = nil
        XCTAssertNil(weakAdded, "an intermediate nothing needs is freed at once")

        var activated: Tensor? = shifted.silu()
        weak var weakActivated = activated
        let loss = activated!.sin().sum()  // sin's derivative needs its input
        activated = nil
        XCTAssertNotNil(weakActivated, "kept for sin's derivative")
        loss.backward()
        XCTAssertNil(weakActivated, "freed once the derivative has run")
        let expected = shifted.scalars.map { v -> Float in
            let s = 1 / (1 + Foundation.exp(-v))
            return Foundation.cos(v * s) * s * (1 + v * (1 - s)) * 2
        }
        for (got, want) in zip(x.grad!.scalars, expected) { XCTAssertEqual(got, want, accuracy: 1e-4) }
    }
}
