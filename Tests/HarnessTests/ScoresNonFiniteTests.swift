import Harness
import TensorCore
import Testing

@Suite struct ScoresNonFiniteTests {
    /// A row counts when all its scores are finite and its first largest score is the label; a
    /// row with an infinite or NaN score counts as wrong even where its arg max is the label.
    @Test func finiteCorrectCountSkipsNonFiniteRows() {
        let rows: [[Double]] = [
            [0.1, 0.9, 0.0],        // predicts 1: right
            [0.5, 0.5, 0.2],        // tie: the first, 0: right
            [2.0, .nan, 0.0],       // arg max 0 is the label, but NaN: wrong
            [.infinity, 0.0, 1.0],  // arg max 0 is the label, but infinite: wrong
            [0.0, 0.0, 3.0],        // predicts 2, label 1: wrong
        ]
        let labels = [1, 0, 0, 0, 1]
        let double = Scores.double(Tensor(shape: [5, 3], scalars: rows.flatMap { $0 }))
        let float = Scores.float(Tensor(shape: [5, 3], scalars: rows.flatMap { $0 }.map(Float.init)))
        #expect(double.finiteCorrectCount(labels: labels) == 2)
        #expect(float.finiteCorrectCount(labels: labels) == 2)
        // The plain accuracy credits the non-finite rows' arg max.
        #expect(double.accuracy(labels: labels) == 4.0 / 5.0)
    }
}
