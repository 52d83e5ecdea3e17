import ArgumentParser

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Index files: inspect them and convert to and from faiss.",
        subcommands: [IndexInfoCommand.self, IndexConvertCommand.self])
}
