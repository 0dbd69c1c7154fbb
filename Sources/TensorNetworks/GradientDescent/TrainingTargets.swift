/// What the outputs f(x) of a classifier trained by gradient descent are fitted to.
///
/// - `labels`: one class per sample; the loss is the mean softmax cross-entropy.
/// - `distributions`: one probability vector per sample (a teacher's softmax, for knowledge
///   distillation); the loss is the mean KL(q ‖ softmax(f/T)) (``Softmax``), and a sample counts
///   as correct when the student's arg max is the teacher's.
///
/// Both index the samples of the feature tensor they are used with.
public enum TrainingTargets: Sendable {
    case labels([Int])
    /// `probabilities` is row-major [N, C]: row n is sample n's target distribution.
    case distributions(probabilities: [Double], temperature: Double)

    /// The class a sample counts as: its label, or its target distribution's arg max.
    @inlinable func targetClass(of sample: Int, classes: Int) -> Int {
        switch self {
        case .labels(let labels): return labels[sample]
        case .distributions(let q, _):
            var best = 0
            for k in 1..<classes where q[sample * classes + k] > q[sample * classes + best] { best = k }
            return best
        }
    }
}
