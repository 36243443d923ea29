import Foundation
import NotebookDisplay

/// A number for generated images that a teacher can read, from an
/// `ImageClassifier` trained on the data:
///
/// - `confidentShare`: the share of samples the classifier labels as one of
///   the classes with probability ≥ `confidence` (recognisable images; noise
///   and blends are labelled "none" or not confidently);
/// - `coverage`: how evenly the samples labelled as classes are spread, the
///   entropy of their histogram over log K (1: every class equally often; 0:
///   one class only — mode collapse);
/// - `classAccuracy`, for a class-conditional model: how often a sample asked
///   to be class k is labelled k.
public struct SampleQuality: Sendable {
    public let samples: Int
    public let confidence: Float
    public let confidentShare: Double
    public let coverage: Double
    /// Samples labelled as each class.
    public let counts: [Int]
    /// Samples labelled "none of the classes".
    public let rejected: Int
    public let classAccuracy: Double?

    /// - Parameter probabilities: per sample, the probability of each of K
    ///   classes and last of "none" (K + 1 values, as `ImageClassifier` gives).
    public init(probabilities: [[Float]], requested: [Int]? = nil, confidence: Float = 0.9) {
        guard let outputs = probabilities.first?.count, outputs >= 3 else {
            fail("SampleQuality: needs the probabilities of at least one sample over at least two classes and none.")
        }
        let classes = outputs - 1
        let predicted = probabilities.map { p in p.indices.max { p[$0] < p[$1] }! }
        let n = probabilities.count
        samples = n
        self.confidence = confidence
        confidentShare =
            Double(zip(probabilities, predicted).filter { $1 < classes && $0[$1] >= confidence }.count) / Double(n)
        var counts = [Int](repeating: 0, count: classes)
        for k in predicted where k < classes { counts[k] += 1 }
        self.counts = counts
        rejected = n - counts.reduce(0, +)
        let labelled = Double(Swift.max(1, n - rejected))
        let entropy = counts.filter { $0 > 0 }.map { Double($0) / labelled }.reduce(0) { $0 - $1 * log($1) }
        coverage = entropy / log(Double(classes))
        classAccuracy = requested.map { asked in
            Double(zip(predicted, asked).filter { $0 == $1 }.count) / Double(n)
        }
    }
}

extension SampleQuality: CustomStringConvertible, Displayable {
    public var description: String {
        var text = String(
            format: "SampleQuality(%d samples: %.1f%% labelled with confidence ≥ %.2f, class coverage %.3f",
            samples, 100 * confidentShare, confidence, coverage)
        if let classAccuracy { text += String(format: ", class accuracy %.1f%%", 100 * classAccuracy) }
        return text + ", counts per class \(counts), none \(rejected))"
    }

    public var mimeBundle: MimeBundle {
        func percent(_ x: Double) -> String { String(format: "%.1f %%", 100 * x) }
        var rows = [
            ("samples", "\(samples)"),
            ("labelled with confidence ≥ \(String(format: "%.2f", confidence))", percent(confidentShare)),
            ("class coverage (1 = even)", String(format: "%.3f", coverage)),
        ]
        if let classAccuracy { rows.append(("sample of class k labelled k", percent(classAccuracy))) }
        rows.append(("samples per class", counts.map(String.init).joined(separator: " ")))
        rows.append(("samples labelled none of them", "\(rejected)"))
        let html =
            "<table>" + rows.map { "<tr><td style=\"text-align:left\">\($0.0)</td><td>\($0.1)</td></tr>" }.joined()
            + "</table>"
        return MimeBundle(html: html, text: description)
    }
}
