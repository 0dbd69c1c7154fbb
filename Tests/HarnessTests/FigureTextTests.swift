import Testing
@testable import Harness

@Suite struct FigureTextTests {
    /// Titles and legends keep enhanced-text control characters literal ("&" used to vanish and
    /// "D_max" to print with a subscript); file names are quoted without that escaping.
    @Test func enhancedTextCharactersAreEscaped() {
        #expect(FigureRenderer.text("Stoudenmire & Schwab") == #""Stoudenmire \\& Schwab""#)
        #expect(FigureRenderer.text("D_max=10 {x^2} @ ~") == #""D\\_max=10 \\{x\\^2\\} \\@ \\~""#)
        #expect(FigureRenderer.text("plain \"quoted\"") == #""plain \"quoted\"""#)
        #expect(FigureRenderer.quote("test_error_vs_m.dat") == #""test_error_vs_m.dat""#)
    }
}
