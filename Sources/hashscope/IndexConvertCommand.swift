import ArgumentParser
import Basics
import Render
import Retrieval

struct IndexConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert between hashscope index files and faiss IndexBinaryFlat files (IBxF).",
        discussion: """
            The input's kind is read from its first bytes. --to faiss writes the codes as \
            faiss.write_index_binary does (faiss.read_index_binary reads it and searches \
            identically); --to hashscope writes a hashscope index (codes only: a faiss file \
            carries no labels). The output is written atomically. Exit status: 0 ok, 2 bad input.
            """)

    @Argument(help: "The file to read (hashscope index or faiss IBxF).")
    var input: String

    @Argument(help: "The file to write.")
    var output: String

    @Option(help: "Output kind: faiss or hashscope.")
    var to: String = "faiss"

    func validate() throws {
        guard ["faiss", "hashscope"].contains(to) else { throw ValidationError("--to must be faiss or hashscope, not '\(to)'") }
    }

    func run() throws {
        let index: HashIndex
        index = try CodeFileLoader.load(input).index
        if to == "faiss" && index.codes.bits % 8 != 0 {
            throw CommandError("\(input): \(index.codes.bits)-bit codes cannot be written for faiss (it needs a multiple of 8 bits)")
        }
        if to == "faiss" {
            try FaissBinaryFlatFile.write(index.codes, to: output)
        } else {
            try IndexFile.write(index, to: output)
        }
        print("wrote \(output): \(index.codes.count) codes of \(index.codes.bits) bits (\(to))")
    }
}
