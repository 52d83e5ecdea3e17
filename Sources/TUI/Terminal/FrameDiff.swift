import Basics
import Render

/// Which cells of a new frame must be written, given the frame already on screen. ncurses
/// itself sends only changed characters to the terminal; this diff saves the per-cell calls
/// into ncurses for cells that did not change. Pure, for tests.
enum FramePlan: Equatable {
    /// Erase the screen and write every cell that fits.
    case full
    /// Write only these cells (row-major indices into the new frame), in order.
    case cells([Int])

    /// Compares `next` with `previous`. A missing previous frame or any change of frame size
    /// means a full redraw (the old cells are no longer where the new ones go).
    static func between(previous: CellGrid?, next: CellGrid) -> FramePlan {
        guard let previous, previous.columns == next.columns, previous.rows == next.rows else {
            return .full
        }
        var changed: [Int] = []
        previous.cells.withUnsafeBufferPointer { old in
            next.cells.withUnsafeBufferPointer { new in
                for index in 0..<new.count where old[index] != new[index] {
                    changed.append(index)
                }
            }
        }
        return .cells(changed)
    }
}
