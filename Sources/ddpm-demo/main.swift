// The README's first command runs this: a small network learns y = sin(x)
// with the loop a PyTorch user writes, and the loss is printed as it falls.
// (Later the main command registers the Jupyter kernel and opens the
// tutorials instead.)
import DDPM
import Foundation

manualSeed(0)
let model = Sequential {
    Linear(1, 64)
    Tanh()
    Linear(64, 64)
    Tanh()
    Linear(64, 1)
}
print("A \(model.parameterCount)-parameter network learns y = sin(x) on [-3, 3]:")

let x = linspace(-3, 3, count: 256).reshape(-1, 1)  // [256, 1]
let y = x.sin()
let optimizer = Adam(model.parameters(), lr: 1e-3)
for step in 0...1200 {
    let loss = (model(x) - y).square().mean()
    optimizer.zeroGrad()
    loss.backward()
    clipGradNorm(model.parameters(), maxNorm: 1)
    optimizer.step()
    if step % 100 == 0 {
        // A bar on a log scale: one block per factor of √10 above 1e-6.
        let blocks = max(1, Int(2 * log10(Double(loss.item()) / 1e-6)))
        print(String(format: "step %4d  loss %.6f  ", step, loss.item()) + String(repeating: "█", count: blocks))
    }
}
let probe = Tensor([[1.0]])
print(String(format: "sin(1) = 0.8415; the network says %.4f", withNoGrad { model(probe) }.item()))
