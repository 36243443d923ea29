import Foundation
import NN
import TensorCore

/// A small convolutional classifier for the tutorials' images, trained in
/// the notebook on the data set, that judges samples (`SampleQuality`): for
/// images, what sliced Wasserstein is for points.
///
/// Besides the data's classes it has one more, "none of them" (the last
/// output), trained on images that are not the data: Gaussian noise, blocky
/// noise and blends of two images of different classes. Without it, a
/// classifier labels pure noise as some digit with high confidence (this one,
/// trained on digits alone, called 87% of noise images an "8" at ≥ 0.9).
///
///     conv1 3×3 → ReLU → conv2 3×3 stride 2 → ReLU → conv3 3×3 stride 2 → ReLU
///     → mean over H, W → fc
///
/// It reads images of any size (the global mean pools whatever is left).
public final class ImageClassifier: Module {
    public let conv1: Conv2d
    public let conv2: Conv2d
    public let conv3: Conv2d
    public let fc: Linear
    /// The data's classes (the network has one more output, "none").
    public let classes: Int

    public init(imageChannels: Int = 1, classes: Int = 10, width: Int = 32, generator: Generator = .default) {
        guard imageChannels >= 1, classes >= 2, width >= 1 else {
            fail(
                "ImageClassifier: needs imageChannels ≥ 1, classes ≥ 2 and width ≥ 1; got \(imageChannels), "
                    + "\(classes), \(width).")
        }
        self.classes = classes
        conv1 = Conv2d(imageChannels, width, kernelSize: 3, padding: 1, generator: generator)
        conv2 = Conv2d(width, width, kernelSize: 3, stride: 2, padding: 1, generator: generator)
        conv3 = Conv2d(width, 2 * width, kernelSize: 3, stride: 2, padding: 1, generator: generator)
        fc = Linear(2 * width, classes + 1, generator: generator)
    }

    /// Class scores (logits) `[B, classes + 1]` for images `[B, C, H, W]`;
    /// the last is "none of the classes".
    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard x.shape.count == 4 else {
            fail("ImageClassifier: expected images [B, C, H, W], got \(x.shape).")
        }
        let h = conv3(conv2(conv1(x).relu()).relu()).relu()
        return fc(h.mean(axes: [2, 3]))
    }

    /// Trains on labelled images with Adam and the cross-entropy loss
    /// (`F.cross_entropy`), for `epochs` passes of batches of `batchSize`,
    /// each batch joined by a quarter as many images of "none" (see above).
    @discardableResult
    public func fit(
        _ images: Tensor, labels: [Int], epochs: Int = 3, batchSize: Int = 64, lr: Float = 3e-3,
        progress: Bool = true, generator: Generator = .default
    ) -> TrainingHistory {
        let optimizer = Adam(parameters(), lr: lr)
        let loader = DataLoader(images, labels: labels, batchSize: batchSize, generator: generator)
        if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) {
            fail("ImageClassifier.fit: label \(bad) is not one of the \(classes) classes 0..<\(classes).")
        }
        return DDPM.train(epochs: epochs, over: loader, progress: progress) { x, y in
            let negatives = nonImages(like: x, labels: y, generator: generator)
            let all = concat([x, negatives])
            let loss = self(all).crossEntropy(y + [Int](repeating: classes, count: negatives.shape[0]))
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
            return loss
        }
    }

    /// Each image's probabilities of the classes and, last, of "none",
    /// `[B][classes + 1]`, in evaluation mode without a graph.
    public func probabilities(_ images: Tensor) -> [[Float]] {
        let k = classes + 1
        let scores = withNoGrad { self(images).softmax(axis: 1) }.scalars
        return (0..<images.shape[0]).map { Array(scores[($0 * k)..<(($0 + 1) * k)]) }
    }

    /// The most likely class of each image (`classes` for "none").
    public func predict(_ images: Tensor) -> [Int] {
        probabilities(images).map { p in p.indices.max { p[$0] < p[$1] }! }
    }

    /// The share of `images` whose predicted class is the label.
    public func accuracy(_ images: Tensor, labels: [Int]) -> Double {
        let predicted = predict(images)
        return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(max(1, labels.count))
    }

    /// How the classifier reads a batch of samples (see `SampleQuality`);
    /// `labels` are the classes asked of a class-conditional model.
    public func quality(of samples: Tensor, labels: [Int]? = nil, confidence: Float = 0.9) -> SampleQuality {
        if let labels, labels.count != samples.shape.first {
            fail("quality: \(samples.shape.first ?? 0) samples but \(labels.count) labels; give one per sample.")
        }
        return SampleQuality(probabilities: probabilities(samples), requested: labels, confidence: confidence)
    }

    /// A quarter as many images that are none of the classes: Gaussian noise,
    /// blocky noise (4×4 cells), and blends of two images of different classes.
    private func nonImages(like x: Tensor, labels: [Int], generator: Generator) -> Tensor {
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let n = Swift.max(3, b / 4)
        let gaussian = randn(shape: [n / 3, c, h, w], generator: generator).clamp(min: -1, max: 1)
        let coarse = randn(shape: [n / 3, c, 4, 4], generator: generator).scalars
        var blocky = [Float](repeating: 0, count: (n / 3) * c * h * w)
        for plane in 0..<((n / 3) * c) {
            for row in 0..<h {
                for column in 0..<w {
                    let cell = coarse[plane * 16 + (row * 4 / h) * 4 + column * 4 / w]
                    blocky[(plane * h + row) * w + column] = Swift.max(-1, Swift.min(1, cell))
                }
            }
        }
        let order = randperm(b, generator: generator)
        let pairs = (0..<b).filter { labels[$0] != labels[order[$0]] }.prefix(n - 2 * (n / 3))
        var parts = [gaussian, Tensor(blocky, shape: [n / 3, c, h, w])]
        if !pairs.isEmpty {
            parts.append((x[Array(pairs)] + x[pairs.map { order[$0] }]) * 0.5)
        }
        return concat(parts)
    }
}
