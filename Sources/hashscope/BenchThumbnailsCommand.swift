import ArgumentParser
import Foundation
import Basics
import Render

struct BenchThumbnailsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thumbnails",
        abstract: "Time turning a decoded image into a grid of terminal cells through libchafa.",
        discussion: """
            Renders each image --repeats times per colour mode and reports the median and 95th \
            percentile. Without --image: a synthetic 384x256 noisy gradient (a Corel-sized \
            photo) and its 32x32 shrink (a CIFAR-sized one), both through a JPEG round trip. \
            The target is at most 2 ms for 24x12 cells. JSON: an array of objects with keys \
            image, width, height, mode, columns, rows, median_ms, p95_ms. Exit status: 0 ok, \
            2 an image cannot be read.
            """)

    @Option(name: .customLong("image"), help: "An image file to render (repeatable).")
    var images: [String] = []

    @Option(help: "Cells across.")
    var columns = 24

    @Option(help: "Cells down.")
    var rows = 12

    @Option(help: "Renders per image and mode.")
    var repeats = 300

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard (1...400).contains(columns), (1...200).contains(rows) else { throw ValidationError("--columns must be in 1...400 and --rows in 1...200") }
        guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
    }

    func run() throws {
        var inputs: [(String, RGBImage)] = []
        if images.isEmpty {
            var pixels = [UInt8](repeating: 0, count: 384 * 256 * 3)
            for y in 0..<256 {
                for x in 0..<384 {
                    let i = (y * 384 + x) * 3
                    pixels[i] = UInt8(x * 255 / 383); pixels[i + 1] = UInt8(y * 255 / 255); pixels[i + 2] = UInt8((x + y) * 255 / 638)
                }
            }
            let photo = RGBImage(width: 384, height: 256, pixels: pixels).withGaussianNoise(sigma: 25, seed: 4)
            for (name, image) in [("synthetic photo", photo), ("synthetic photo, shrunk", photo.resized(width: 32, height: 32))] {
                inputs.append((name, try ImageDecoder.decode(try JPEGEncoder.encode(image), source: name)))
            }
        } else {
            for path in images {
                inputs.append((path, try ImageDecoder.decode(file: path)))
            }
        }
        var rowsOut: [BenchThumbnailJSON] = []
        for mode in [ColorMode.truecolor, .indexed240] {
            let renderer = ChafaCellRenderer(mode: mode)
            for (name, image) in inputs {
                _ = renderer.render(image, columns: columns, rows: rows)  // warm up
                var times: [Double] = []
                for _ in 0..<repeats {
                    let start = DispatchTime.now().uptimeNanoseconds
                    _ = renderer.render(image, columns: columns, rows: rows)
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                }
                times.sort()
                let median = times[times.count / 2], p95 = times[min(times.count - 1, times.count * 95 / 100)]
                rowsOut.append(BenchThumbnailJSON(image: name, width: image.width, height: image.height, mode: mode.rawValue,
                                                  columns: columns, rows: rows, median_ms: median, p95_ms: p95))
                if !json {
                    print(String(format: "%@ %dx%d, %@ colours, %dx%d cells: median %.3f ms, p95 %.3f ms",
                                 name, image.width, image.height, mode.rawValue, columns, rows, median, p95))
                }
            }
        }
        if json {
            print(rowsOut.jsonText)
        }
    }
}
