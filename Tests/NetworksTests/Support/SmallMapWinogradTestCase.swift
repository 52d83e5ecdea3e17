@testable import Networks
import XCTest

/// Tests of convolutions on small maps: every Winograd-shaped convolution takes the Winograd
/// kernel in them (as before the tile threshold, which WinogradThresholdTests checks).
class SmallMapWinogradTestCase: XCTestCase {
    private var minimumTiles = WinogradConvolution.minimumTiles

    override func setUp() {
        super.setUp()
        minimumTiles = WinogradConvolution.minimumTiles
        WinogradConvolution.minimumTiles = 1
    }

    override func tearDown() {
        WinogradConvolution.minimumTiles = minimumTiles
        super.tearDown()
    }
}
