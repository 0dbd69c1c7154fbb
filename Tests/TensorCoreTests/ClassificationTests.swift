import Testing
import TensorCore

@Suite struct ClassificationTests {
    @Test func oneHotPutsOneOnePerRow() {
        let targets = Tensor<Double>.oneHot(labels: [2, 0, 1], classes: 3)
        #expect(targets.shape == [3, 3])
        #expect(targets.scalars == [0, 0, 1, 1, 0, 0, 0, 1, 0])
        #expect(Tensor<Float>.oneHot(labels: [], classes: 4).shape == [0, 4])
    }

    @Test func argmaxRowsTakesTheFirstOfTies() {
        let scores = Tensor<Double>(shape: [4, 3], scalars: [0.1, 0.7, 0.2,
                                                             5, 5, 1,
                                                             -3, -2, -1,
                                                             .nan, 1, 0])
        // A NaN in column 0 compares false, so it stays the arg max (no entry is greater than it).
        #expect(scores.argmaxRows() == [1, 0, 2, 0])
        #expect(Tensor<Float>(shape: [2, 1], scalars: [3, -1]).argmaxRows() == [0, 0])
    }

    @Test func accuracyAndErrorRate() {
        let predicted = [0, 1, 2, 2], labels = [0, 1, 1, 0]
        #expect(Classification.accuracy(predicted: predicted, labels: labels) == 0.5)
        #expect(Classification.errorRate(predicted: predicted, labels: labels) == 0.5)
        #expect(Classification.errorRate(predicted: [1, 1, 1], labels: [1, 1, 0]) == 1.0 / 3)
        let scores = Tensor<Double>.oneHot(labels: [2, 0, 1], classes: 3)
        #expect(Classification.accuracy(scores: scores, labels: [2, 0, 0]) == 2.0 / 3)
    }
}
